// The summary of a release in waves, driven through the reporter as the
// release drives it: two targets of one wave reporting at once (their events
// interleaved, each through its prefixing reporter), a third in wave 2 that
// never started. Each target's steps stay its own.
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { targetReporter } from "../../src/cli/shared/target-reporter.ts";
import { ciIntegrations } from "../../src/ci/index.ts";
import { createReporter } from "../../src/output/index.ts";
import { MemorySink } from "../helpers/sink.ts";

const IMAGE = `localhost:5000/shop:v2@sha256:${"ab12".repeat(16)}`;

test("two targets of one wave at once, one failing: a row each by wave, each target's own steps and chart", async () => {
  let second = 0;
  const dir = await mkdtemp(join(tmpdir(), "grayctl-ci-waves-"));
  const summary = join(dir, "summary.md");
  await writeFile(summary, "");
  const env = { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary };
  const reporter = createReporter({
    format: "json",
    stdout: new MemorySink(false),
    stderr: new MemorySink(false),
    env,
    now: () => new Date(Date.UTC(2026, 11, 1, 6, 0, second)),
    ci: (io) => ciIntegrations(env, dir, io),
  });
  const [east, west] = [targetReporter(reporter, "east"), targetReporter(reporter, "west")];
  const gate = (result: string, words: Record<string, string>) => ({ gate: "health", result, ...words });
  reporter.event("wave-started", { wave: 1, targets: ["east", "west"] });
  east.event("step", { step: 1, of: 2, weight: 10 });
  west.event("step", { step: 1, of: 2, weight: 10 });
  second = 4;
  east.event("gate", gate("passed", { summary: "1/1 canary pods ready" }));
  west.event("gate", gate("failed", { reason: "/healthz 500" }));
  east.event("step", { step: 2, of: 2, weight: 100 });
  second = 9;
  west.result("rolled-back", { image: IMAGE, revision: 7 }, "rolled back");
  east.event("gate", gate("passed", { summary: "1/1 canary pods ready" }));
  second = 12;
  east.result("promoted", { image: IMAGE, revision: 3 }, "promoted");
  reporter.event("wave-failed", { wave: 1, target: "west", reason: "/healthz 500" });
  east.event("target-rolled-back", { outcome: "rolled-back" });
  reporter.result(
    "rolled-back",
    {
      app: "shop",
      image: IMAGE,
      exitCode: 3,
      targets: {
        east: { wave: 1, rollout: "promoted", rollback: "rolled-back" },
        west: { wave: 1, rollout: "rolled-back" },
        north: { wave: 2 },
      },
    },
    "wave 1 failed: target west: /healthz 500",
  );
  const text = await readFile(summary, "utf8");
  assert.match(text, /^### ❌ grayctl shop: rolled-back$/m);
  const rows = text.split("\n").filter((line) => /^\| [\d—]+ \| \w+ \|/.test(line));
  assert.deepEqual(rows, [
    "| 1 | east | ✅ promoted | ↩️ rolled-back | revision 3 · `sha256:ab12ab12ab12` | 12s |",
    "| 1 | west | ❌ rolled-back | — | revision 7 · `sha256:ab12ab12ab12` | 9s |",
    "| 2 | north | — not started | — | — | — |",
  ]);
  assert.match(
    text,
    /^#### east \(wave 1\): promoted\n\n\| Step .*\n.*\n\| 1\/2 \| 10% \| 4s \| ✅ health: 1\/1 canary pods ready \|\n\| 2\/2 \| 100% \| 8s \| ✅ health/m,
  );
  assert.match(
    text,
    /^#### west \(wave 1\): rolled-back\n\n\| Step .*\n.*\n\| 1\/2 \| 10% \| 9s \| ❌ health: \/healthz 500 \|\n\n```mermaid/m,
  );
  assert.match(text, /title "shop · east: canary weight, %"\n.*\n.*\n {2}bar \[10, 100\]/);
  assert.match(text, /title "shop · west: canary weight, %"\n.*\n.*\n {2}bar \[10\]/);
  assert.doesNotMatch(text, /#### north/, "a target that never ran has no steps to draw");
});

test("the bake's metric ceilings: each check's verdict at the bake's end, or the bound a target crossed", async () => {
  const dir = await mkdtemp(join(tmpdir(), "grayctl-ci-waves-"));
  const summary = join(dir, "summary.md");
  await writeFile(summary, "");
  const env = { GITLAB_CI: "true", GRAYCTL_SUMMARY: summary };
  const reporter = createReporter({
    format: "json",
    stdout: new MemorySink(false),
    stderr: new MemorySink(false),
    env,
    now: () => new Date(Date.UTC(2026, 11, 1, 6, 0, 0)),
    ci: (io) => ciIntegrations(env, dir, io),
  });
  const [east, west] = [targetReporter(reporter, "east"), targetReporter(reporter, "west")];
  reporter.event("wave-started", { wave: 1, targets: ["east"] });
  east.result("promoted", { image: IMAGE, revision: 3 }, "promoted");
  east.event("bake-check", {
    check: "error-rate",
    result: "passed",
    summary: "error-rate 0% (0/230) on stable during the bake, max 1.0%",
  });
  east.event("bake-check", {
    check: "latency-p99",
    result: "too-little-data",
    summary: "latency-p99: stable served 4 requests during the bake, fewer than minRequests 20: not judged",
  });
  reporter.event("wave-started", { wave: 2, targets: ["west"] });
  west.result("promoted", { image: IMAGE, revision: 7 }, "promoted");
  west.event("bake-failed", { wave: 2, reason: "error-rate 23% (46/200) > max 1.0% on stable after promotion" });
  west.event("target-rolled-back", { outcome: "rolled-back" });
  reporter.result(
    "rolled-back",
    {
      app: "shop",
      image: IMAGE,
      exitCode: 3,
      targets: {
        east: { wave: 1, rollout: "promoted" },
        west: { wave: 2, rollout: "promoted", rollback: "rolled-back" },
      },
    },
    "wave 2 failed: target west: error-rate 23% (46/200) > max 1.0% on stable after promotion",
  );
  const text = await readFile(summary, "utf8");
  assert.match(
    text,
    /^\| 2 \| west \| ✅ promoted<br>❌ bake: error-rate 23% \(46\/200\) > max 1\.0% on stable after promotion \| ↩️ rolled-back \|/m,
  );
  assert.match(
    text,
    /^#### east \(wave 1\): promoted\n\nBake: ✅ error-rate 0% \(0\/230\) on stable during the bake, max 1\.0%\nBake: ⏳ latency-p99: stable served 4 requests during the bake, fewer than minRequests 20: not judged \(not a failure\)$/m,
  );
  assert.match(
    text,
    /^#### west \(wave 2\): promoted\n\nBake: ❌ error-rate 23% \(46\/200\) > max 1\.0% on stable after promotion$/m,
  );
});
