// src/run/command.ts with real processes: argv without a shell, the output's
// tail, a program that ignores SIGTERM still stopped at its deadline.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCommand, tailOf } from "../../src/run/command.ts";

const node = (script: string) => [process.execPath, "-e", script];
const base = { cwd: process.cwd(), env: { ...process.env }, timeoutMs: 10_000 };

test("exit 0 passes; non-zero fails with the tail of stdout and stderr", async () => {
  assert.equal((await runCommand({ ...base, argv: node("process.exit(0)") })).result, "passed");
  const failed = await runCommand({ ...base, argv: node("console.log('a'); console.error('boom'); process.exit(3)") });
  assert.deepEqual(failed.result === "failed" && [failed.exitCode, failed.tail], [3, "a\nboom"]);
});

test("arguments reach the program as they are: no shell expands them", async () => {
  const echoed = await runCommand({ ...base, argv: [...node("console.log(process.argv[1])"), "$HOME; `id` *"] });
  assert.equal(echoed.tail, "$HOME; `id` *");
});

test("a missing program fails naming it; one that ignores SIGTERM is killed at its deadline", async () => {
  const missing = await runCommand({ ...base, argv: ["grayctl-no-such-program"] });
  assert.equal(missing.result, "failed");
  assert.match(missing.result === "failed" ? missing.why : "", /command not found/);
  const stubborn = await runCommand({
    ...base,
    timeoutMs: 300,
    argv: node("process.on('SIGTERM', () => {}); console.log('started'); setInterval(() => {}, 1000)"),
  });
  assert.equal(stubborn.result, "timeout");
});

test("a child that keeps the output open does not hold the wait past the deadline", async () => {
  const held = await runCommand({ ...base, timeoutMs: 300, argv: ["sh", "-c", "sleep 30 & echo started; sleep 30"] });
  assert.equal(held.result, "timeout");
});

test("the tail keeps the last 20 lines (CRLF or not), at most 2,000 characters", () => {
  const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\r\n");
  assert.equal(tailOf(lines).split("\n")[0], "line 10");
  assert.equal(tailOf(lines).split("\n").length, 20);
  assert.ok(!tailOf(lines).includes("\r"));
  assert.equal(tailOf("y".repeat(4000)).length, 2001);
});

test("a program that prints megabytes is not cut short: its tail is kept, its exit code judged", async () => {
  const loud = await runCommand({
    ...base,
    argv: node("for (let i = 0; i < 40000; i++) console.log('x'.repeat(60) + i); process.exitCode = 4"),
  });
  assert.equal(loud.result, "failed");
  assert.deepEqual(loud.result === "failed" && [loud.exitCode, loud.tail.split("\n").at(-1)], [
    4,
    `${"x".repeat(60)}39999`,
  ]);
});

test("the caller's abort signal stops it at once, as cancelled", async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("interrupted")), 200);
  const stopped = await runCommand({ ...base, signal: controller.signal, argv: ["sh", "-c", "sleep 30 & sleep 30"] });
  assert.equal(stopped.result, "cancelled");
});
