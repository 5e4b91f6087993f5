import assert from "node:assert/strict";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ciIntegrations } from "../../src/ci/index.ts";
import type { CiIo } from "../../src/output/ci-plug.ts";
import { colorLevel } from "../../src/output/colors.ts";
import { createReporter } from "../../src/output/index.ts";
import { JsonReporter } from "../../src/output/json.ts";
import { PlainReporter } from "../../src/output/plain.ts";
import { TtyReporter } from "../../src/output/tty.ts";
import { MemorySink } from "../helpers/sink.ts";

const fixedNow = () => new Date("2026-11-22T10:00:00.000Z");

function setup(format: "text" | "json", env: Record<string, string> = {}, tty = false) {
  const stdout = new MemorySink(tty);
  const stderr = new MemorySink(tty);
  const ci = (io: CiIo) => ciIntegrations(env, process.cwd(), io);
  const reporter = createReporter({ format, stdout, stderr, env, now: fixedNow, verbose: true, ci });
  return { stdout, stderr, reporter };
}

test("the reporter is chosen by --output, TTY and CI", () => {
  assert.ok(setup("json").reporter instanceof JsonReporter);
  assert.ok(setup("text", {}, true).reporter instanceof TtyReporter);
  assert.ok(setup("text", { CI: "true" }, true).reporter instanceof PlainReporter);
  assert.ok(setup("text", {}, false).reporter instanceof PlainReporter);
});

test("colour: NO_COLOR wins, FORCE_COLOR forces, TTY decides otherwise", () => {
  assert.equal(colorLevel({ NO_COLOR: "1", FORCE_COLOR: "3" }, true), 0);
  assert.equal(colorLevel({ FORCE_COLOR: "1" }, false), 1);
  assert.equal(colorLevel({ FORCE_COLOR: "0" }, true), 0);
  assert.equal(colorLevel({}, false), 0);
  assert.equal(colorLevel({}, true), 2);
});

for (const [format, tty] of [
  ["json", false],
  ["text", false],
  ["text", true],
] as const) {
  test(`secrets registered with redact() never reach ${format}${tty ? " (tty)" : ""} output`, () => {
    const { stdout, stderr, reporter } = setup(format, {}, tty);
    reporter.redact("hunter2-password");
    reporter.info("logging in with hunter2-password", { auth: Buffer.from("hunter2-password").toString("base64") });
    reporter.debug("token=hunter2-password");
    reporter.warn("retrying hunter2-password");
    const progress = reporter.start("push", "pushing with hunter2-password");
    progress.update("still hunter2-password");
    progress.succeed("pushed hunter2-password");
    reporter.event("push", { secret: "hunter2-password" }, "event hunter2-password");
    reporter.result("built", { password: "hunter2-password" }, "done hunter2-password");
    const all = stdout.text + stderr.text;
    assert.doesNotMatch(all, /hunter2/);
    assert.doesNotMatch(all, new RegExp(Buffer.from("hunter2-password").toString("base64")));
    assert.match(all, /\*\*\*/);
  });
}

test("json: every line parses, the result comes last, nothing goes to stderr", () => {
  const { stdout, stderr, reporter } = setup("json");
  reporter.info("hello", { step: 1 });
  reporter.start("build", "building").succeed("built");
  reporter.result("built", { image: "r/x:1@sha256:ab" }, "built r/x");
  const events = stdout.text
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  assert.deepEqual(
    events.map((e) => e.type),
    ["log", "progress", "progress", "result"],
  );
  assert.equal(events[3].outcome, "built");
  assert.equal(events[3].time, "2026-11-22T10:00:00.000Z");
  assert.equal(stderr.text, "");
});

test("plain: timestamped diagnostics on stderr, the result alone on stdout", () => {
  const { stdout, stderr, reporter } = setup("text");
  reporter.info("starting");
  reporter.result("promoted", {}, "promoted v2");
  assert.equal(stdout.text, "promoted v2\n");
  assert.match(stderr.text, /^2026-11-22T10:00:00\.000Z info {2}starting\n$/);
});

test("GitHub Actions: ::error annotations and a step summary", async () => {
  const dir = await mkdtemp(join(tmpdir(), "grayctl-gh-"));
  const summary = join(dir, "summary.md");
  const { stderr, reporter } = setup("json", { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary });
  reporter.redact("s3cret-value");
  reporter.warn("slow registry");
  reporter.result(
    "rolled-back",
    { app: "checkout", reason: "error-rate s3cret-value" },
    "rolled back: error-rate 5%\nsecond line",
  );
  assert.match(stderr.text, /^::warning::slow registry$/m);
  assert.match(stderr.text, /^::error title=grayctl%3A rolled-back::rolled back: error-rate 5%25%0Asecond line$/m);
  const markdown = await readFile(summary, "utf8");
  assert.match(markdown, /### ❌ grayctl checkout: rolled-back/);
  assert.match(markdown, /\| app \| checkout \|/);
  assert.doesNotMatch(markdown, /s3cret/);
});
