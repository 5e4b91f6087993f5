// Progress in a log (CI, a pipe, --output json) is a line per change of state
// and one every 15 s while nothing changes; a countdown is not a change. The
// reporters are the real ones writing to memory, under a hand-driven clock.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createReporter } from "../../src/output/index.ts";
import { MemorySink } from "../helpers/sink.ts";

for (const format of ["text", "json"] as const) {
  test(`${format} in CI: a 60 s window ticking every second is 6 lines (start, 2 states, 3 heartbeats), not 60`, () => {
    let now = Date.parse("2026-12-06T10:00:00Z");
    const stdout = new MemorySink(false);
    const stderr = new MemorySink(false);
    const reporter = createReporter({ format, stdout, stderr, env: { CI: "true" }, now: () => new Date(now) });
    const progress = reporter.start("step", "step 1/5: 5% to canary");
    for (let second = 1; second <= 60; second++) {
      now += 1000;
      const ready = second < 30 ? "1/1" : "0/1"; // one change of state, at 30 s
      const state = `step 1/5: 5% to canary · ready canary ${ready}`;
      progress.update(`${state} · ${60 - second}s left`, state);
    }
    const lines = (format === "json" ? stdout.text : stderr.text).trim().split("\n");
    // The start; the first state seen (1 s); heartbeats at 16 s; the change at 30 s; heartbeat at 45 s and 60 s.
    assert.equal(lines.length, 6, lines.join("\n"));
    assert.equal(lines.filter((line) => line.includes("ready canary 0/1")).length, 3);
  });
}

test("a failed gate is a warning in every reporter; other events are information", () => {
  const stderr = new MemorySink(false);
  const stdout = new MemorySink(false);
  const plain = createReporter({ format: "text", stdout, stderr, env: {} });
  plain.event("gate", { gate: "smoke", result: "failed" }, "  smoke: failed — exited 1", "warn");
  plain.event("gate", { gate: "health", result: "passed" }, "  health: passed — 1/1 ready");
  assert.match(stderr.text, /Z warn {2}smoke: failed — exited 1\n/);
  assert.match(stderr.text, /Z info {4}health: passed/);
  const json = new MemorySink(false);
  const jsonReporter = createReporter({ format: "json", stdout: json, stderr: new MemorySink(false), env: {} });
  jsonReporter.event("gate", { gate: "smoke", result: "failed" }, "  smoke: failed", "warn");
  assert.equal(JSON.parse(json.text).level, "warn");
});
