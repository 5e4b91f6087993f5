// The barrier of `rollback --all` (decision 048), under a clock whose deadline the test fires.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Clock } from "../../src/kube/clock.ts";
import { createBarrier } from "../../src/waves/barrier.ts";

/** A clock whose one sleep ends when the test calls fire(), or rejects when aborted. */
function manualClock() {
  let fire: () => void = () => {};
  let aborted = false;
  const clock: Clock = {
    now: () => 0,
    monotonic: () => 0,
    sleep: (_ms, signal) =>
      new Promise<void>((resolve, reject) => {
        fire = resolve;
        signal?.addEventListener("abort", () => {
          aborted = true;
          reject(new Error("aborted"));
        });
      }),
  };
  return { clock, fire: () => fire(), aborted: () => aborted };
}

const settled = async (promise: Promise<unknown>) => {
  let done = false;
  void promise.then(() => (done = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
};

test("nobody passes until every target has arrived or left; then the deadline's timer is stopped", async () => {
  const { clock, aborted } = manualClock();
  const barrier = createBarrier(["a", "b", "c"], { clock, deadlineMs: 5000 });
  const a = barrier.arrive("a");
  assert.equal(await settled(a), false);
  const b = barrier.arrive("b");
  assert.equal(await settled(b), false);
  barrier.leave("c");
  assert.equal(await settled(a), true);
  assert.equal(await settled(b), true);
  assert.deepEqual(barrier.overdue, []);
  assert.equal(aborted(), true);
});

test("at the deadline the waiting pass, and the targets still missing are named", async () => {
  const { clock, fire } = manualClock();
  const barrier = createBarrier(["a", "b", "gone"], { clock, deadlineMs: 5000 });
  const a = barrier.arrive("a");
  barrier.leave("b");
  assert.equal(await settled(a), false);
  fire();
  assert.equal(await settled(a), true);
  assert.deepEqual(barrier.overdue, ["gone"]);
  // A late arrival passes at once.
  assert.equal(await settled(barrier.arrive("gone")), true);
});

test("leaving after arriving changes nothing; a single target passes at once", async () => {
  const { clock } = manualClock();
  const barrier = createBarrier(["only"], { clock, deadlineMs: 5000 });
  assert.equal(await settled(barrier.arrive("only")), true);
  barrier.leave("only");
  assert.deepEqual(barrier.overdue, []);
});
