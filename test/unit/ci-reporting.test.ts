// The CI integrations as the reporter drives them: GitHub's groups and
// GitLab's collapsed sections around the build, the outputs' delimiter form,
// the summary's table cells, and secrets kept out of every report.
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { rolloutChart } from "../../src/ci/chart.ts";
import { ciIntegrations } from "../../src/ci/index.ts";
import { RunRecord } from "../../src/ci/run-record.ts";
import { rolloutSummary } from "../../src/ci/summary.ts";
import { createReporter } from "../../src/output/index.ts";
import { githubOutputs } from "../helpers/ci-files.ts";
import { MemorySink } from "../helpers/sink.ts";

const at = (second: number) => new Date(Date.UTC(2026, 11, 1, 6, 0, second));
let clock = 0;
const now = () => at(clock);

async function reporterIn(env: Record<string, string>, format: "text" | "json" = "text") {
  const dir = await mkdtemp(join(tmpdir(), "grayctl-ci-unit-"));
  const stdout = new MemorySink(false);
  const stderr = new MemorySink(false);
  const reporter = createReporter({ format, stdout, stderr, env, now, ci: (io) => ciIntegrations(env, dir, io) });
  return { dir, stdout, stderr, reporter };
}

/** What a build looks like to the reporter: a progress with debug lines, then a push. */
function build(reporter: ReturnType<typeof createReporter>) {
  const building = reporter.start("build", "Building localhost:5000/shop:abc");
  reporter.info("Step 1/2 : FROM scratch");
  building.succeed("Built localhost:5000/shop:abc");
  const pushing = reporter.start("push", "Pushing localhost:5000/shop:abc");
  pushing.fail("push refused");
  reporter.start("step", "step 1/3: 5% to canary").succeed("step 1/3: window done");
}

test("GitHub: ::group:: opens before the build's first line and closes after its last; steps are not folded", async () => {
  const { stderr, reporter } = await reporterIn({ GITHUB_ACTIONS: "true" });
  build(reporter);
  const lines = stderr.text.split("\n").map((line) => line.replace(/^\S+Z /, ""));
  assert.deepEqual(lines.slice(0, 8), [
    "::group::Building localhost:5000/shop:abc",
    "info  Building localhost:5000/shop:abc",
    "info  Step 1/2 : FROM scratch",
    "ok    Built localhost:5000/shop:abc",
    "::endgroup::",
    "::group::Pushing localhost:5000/shop:abc",
    "info  Pushing localhost:5000/shop:abc",
    "fail  push refused",
  ]);
  assert.equal(lines[8], "::endgroup::");
  assert.doesNotMatch(stderr.text, /::group::step/);
});

test("GitLab: collapsed sections with a timestamp and a unique name around the build, nothing GitHub's", async () => {
  clock = 7;
  const { stderr, reporter } = await reporterIn({ GITLAB_CI: "true" }, "json");
  build(reporter);
  const start = Math.floor(at(7).getTime() / 1000);
  assert.equal(
    stderr.text,
    `\u001b[0Ksection_start:${start}:grayctl_build_1[collapsed=true]\r\u001b[0KBuilding localhost:5000/shop:abc\n` +
      `\u001b[0Ksection_end:${start}:grayctl_build_1\r\u001b[0K\n` +
      `\u001b[0Ksection_start:${start}:grayctl_push_2[collapsed=true]\r\u001b[0KPushing localhost:5000/shop:abc\n` +
      `\u001b[0Ksection_end:${start}:grayctl_push_2\r\u001b[0K\n`,
  );
});

test("GitHub outputs: the delimiter form keeps a value's newlines and '=' intact; secrets are masked in outputs and summary", async () => {
  const dir = await mkdtemp(join(tmpdir(), "grayctl-ci-unit-"));
  const output = join(dir, "output");
  const summary = join(dir, "summary.md");
  await writeFile(output, "earlier=step\n");
  const { reporter } = await reporterIn({
    GITHUB_ACTIONS: "true",
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
  });
  reporter.redact("hunter2-registry-password");
  reporter.result(
    "error",
    { image: "registry/app:x=y\nz hunter2-registry-password", error: "login failed for hunter2-registry-password" },
    "registry refused hunter2-registry-password",
  );
  const outputs = githubOutputs(output);
  assert.deepEqual(outputs, {
    earlier: "step",
    outcome: "error",
    image: "registry/app:x=y\nz ***",
    digest: "",
    revision: "",
  });
  const markdown = await readFile(summary, "utf8");
  assert.doesNotMatch(markdown + (await readFile(output, "utf8")), /hunter2/);
  assert.match(markdown, /^\| error \| login failed for \*\*\* \|$/m);
});

test("the summary's cells: a pipe, a newline or HTML in a gate's words does not break the table", () => {
  const record = new RunRecord();
  record.event("step", { step: 1, of: 2, weight: 10 }, at(0));
  record.event("gate", { gate: "custom", result: "failed", reason: "custom: a|b <script>\nline" }, at(4));
  record.finish("rolled-back", { app: "shop", reason: "custom: a|b" }, "rolled back", at(5));
  const markdown = rolloutSummary(record);
  assert.match(markdown, /^\| 1\/2 \| 10% \| 5s \| ❌ custom: a\\\|b &lt;script><br>line \|$/m);
  assert.match(markdown, /^Reason: custom: a\\\|b$/m);
});

test("a step judged in several windows (inconclusive first) shows the count and the last verdict", () => {
  const record = new RunRecord();
  record.event("step", { step: 1, of: 1, weight: 50 }, at(0));
  for (const result of ["inconclusive", "inconclusive", "passed"])
    record.event(
      "gate",
      { gate: "error-rate", result, why: "too few", summary: "error-rate: canary 0% (0/90)" },
      at(1),
    );
  record.finish("promoted", { app: "shop" }, "promoted", at(61));
  assert.match(
    rolloutSummary(record),
    /^\| 1\/1 \| 50% \| 1m1s \(3 windows\) \| ✅ error-rate: canary 0% \(0\/90\) \|$/m,
  );
});

test("the chart: bars for weight; error-rate lines only when a gate measured them, a missing step drawn at 0 and said so", () => {
  const record = new RunRecord();
  record.event("step", { step: 1, of: 2, weight: 10 }, at(0));
  record.event(
    "gate",
    { gate: "error-rate", result: "passed", values: { canaryRate: 0.0123, stableRate: 0.004 } },
    at(1),
  );
  record.event("step", { step: 2, of: 2, weight: 100 }, at(2));
  const chart = rolloutChart("shop", record.steps)!;
  assert.match(chart, /^ {2}bar \[10, 100\]$/m);
  assert.match(chart, /^ {2}line \[1\.23, 0\]\n {2}line \[0\.4, 0\]$/m);
  assert.match(chart, /drawn at 0 %/);
  const healthOnly = new RunRecord();
  healthOnly.event("step", { step: 1, of: 1, weight: 100 }, at(0));
  assert.doesNotMatch(rolloutChart("shop", healthOnly.steps)!, /line/);
  assert.equal(rolloutChart("shop", []), undefined);
});
