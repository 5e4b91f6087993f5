// The fence and the Lease judgement, under a hand-driven clock: an owner stops
// on its own clocks before anyone may take its Lease, and a Lease is judged
// expired only from what this process watched, never from another machine's clock.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Clock } from "../../src/kube/clock.ts";
import { Fence, LeaseLostError, leaseTiming, SupersededError } from "../../src/kube/fence.ts";
import { type HolderRecord, judgeLease, LeaseObserver, type LocalProcesses } from "../../src/kube/lease-record.ts";

function handClock(start = Date.parse("2026-01-01T00:00:00Z")) {
  const t = { wall: start, mono: 1_000 };
  const clock: Clock = { now: () => t.wall, monotonic: () => t.mono, sleep: async () => {} };
  return {
    clock,
    /** Both clocks move together, as on a running machine. */
    pass: (ms: number) => {
      t.wall += ms;
      t.mono += ms;
    },
    /** A machine that slept: its monotonic clock stood still, its wall clock caught up. */
    sleepMachine: (ms: number) => {
      t.wall += ms;
    },
    /** Someone set the system time back. */
    setWallBack: (ms: number) => {
      t.wall -= ms;
    },
  };
}

const timing = leaseTiming(30_000);

test("lease timing: renew every quarter, stop at two thirds, well before anyone may take it", () => {
  assert.deepEqual(timing, { durationMs: 30_000, renewEveryMs: 7_500, retryEveryMs: 2_500, renewDeadlineMs: 20_000 });
});

test("a fence refuses writes before the Lease is taken", () => {
  const { clock } = handClock();
  assert.throws(() => new Fence(clock, timing.renewDeadlineMs).check(), /before taking its Lease/);
});

test("an owner acts until its renew deadline on its own clock, then never again", () => {
  const hand = handClock();
  const fence = new Fence(hand.clock, timing.renewDeadlineMs);
  fence.renewedAt(fence.stamp());
  hand.pass(19_000);
  fence.check();
  hand.pass(1_001);
  assert.throws(
    () => fence.check(),
    (error: unknown) => error instanceof LeaseLostError && error.expired,
  );
  // A renewal answered late (sent before the deadline) does not bring it back.
  fence.renewedAt(fence.stamp());
  assert.throws(() => fence.check(), LeaseLostError);
});

test("the deadline counts from when the renewal was sent, not answered", () => {
  const hand = handClock();
  const fence = new Fence(hand.clock, timing.renewDeadlineMs);
  const sent = fence.stamp();
  hand.pass(15_000); // the renewal took 15 s to come back
  fence.renewedAt(sent);
  hand.pass(5_001);
  assert.throws(() => fence.check(), LeaseLostError);
});

test("a machine that slept (monotonic clock stood still) stops: the wall clock caught up", () => {
  const hand = handClock();
  const fence = new Fence(hand.clock, timing.renewDeadlineMs);
  fence.renewedAt(fence.stamp());
  hand.sleepMachine(60_000);
  assert.throws(() => fence.check(), LeaseLostError);
});

test("a wall clock set back does not extend ownership: the monotonic clock still counts", () => {
  const hand = handClock();
  const fence = new Fence(hand.clock, timing.renewDeadlineMs);
  fence.renewedAt(fence.stamp());
  hand.pass(21_000);
  hand.setWallBack(60_000);
  assert.throws(() => fence.check(), LeaseLostError);
});

test("an ownership check that finds another owner loses the fence for good", async () => {
  const hand = handClock();
  const fence = new Fence(hand.clock, timing.renewDeadlineMs);
  fence.renewedAt(fence.stamp());
  fence.confirmWith(async () => {
    throw new SupersededError("rollback (alice)");
  });
  await assert.rejects(fence.beforeWrite(), SupersededError);
  fence.confirmWith(async () => {});
  await assert.rejects(fence.beforeWrite(), SupersededError);
});

test("after a forced takeover, the previous holder lapses one lease duration after our read", () => {
  const hand = handClock();
  const fence = new Fence(hand.clock, timing.renewDeadlineMs);
  assert.equal(fence.tookOver, false);
  fence.previousHolderLapsesAt(hand.clock.monotonic() + 30_000);
  hand.pass(10_000);
  assert.equal(fence.previousHolderLapseLeftMs(), 20_000);
  hand.pass(20_000);
  assert.equal(fence.previousHolderLapseLeftMs(), 0);
  assert.equal(fence.tookOver, true);
});

const here: LocalProcesses = { machine: "m1", pid: 10, alive: (pid) => pid === 42 };
const me = { owner: "me@h/10/aa", processes: here };
const record = (fields: Partial<HolderRecord> = {}): HolderRecord => ({
  holder: "ci@runner/7/bb",
  renewTime: "2026-01-01T00:00:00.000Z",
  resourceVersion: "5",
  durationMs: 30_000,
  machine: "m2",
  pid: 7,
  ...fields,
});

test("a held Lease is expired only after being watched unchanged for its duration, whatever its renewTime says", () => {
  const observer = new LeaseObserver();
  // renewTime is an hour old by its clock: a machine whose clock runs behind, or ours ahead. Not expired.
  const stale = record({ renewTime: "2025-12-31T23:00:00.000Z" });
  assert.equal(judgeLease(stale, observer.observe(stale, 0), me)?.basis, "unconfirmed");
  assert.equal(judgeLease(stale, observer.observe(stale, 29_999), me)?.expired, false);
  const lapsed = judgeLease(stale, observer.observe(stale, 30_000), me);
  assert.deepEqual([lapsed?.basis, lapsed?.expired], ["lapsed", true]);
});

test("a renewal seen while watching means live, and restarts the watch", () => {
  const observer = new LeaseObserver();
  judgeLease(record(), observer.observe(record(), 0), me);
  const renewed = record({ renewTime: "2026-01-01T00:00:07.000Z", resourceVersion: "6" });
  const live = judgeLease(renewed, observer.observe(renewed, 7_500), me);
  assert.deepEqual([live?.basis, live?.expired], ["live", false]);
  assert.equal(judgeLease(renewed, observer.observe(renewed, 37_000), me)?.basis, "live");
  assert.equal(judgeLease(renewed, observer.observe(renewed, 37_500), me)?.basis, "lapsed");
});

const judgeOnce = (r: HolderRecord) => judgeLease(r, new LeaseObserver().observe(r, 0), me);
const cases: [string, HolderRecord, string, boolean][] = [
  ["released (no holder)", record({ holder: undefined }), "free", true],
  ["held by this process", record({ holder: me.owner }), "ours", false],
  ["held on this machine by a process that is gone", record({ machine: "m1", pid: 7 }), "process-gone", true],
  ["held on this machine by a live process", record({ machine: "m1", pid: 42 }), "unconfirmed", false],
  ["held on another machine (same PID number gone here)", record({ machine: "m2", pid: 7 }), "unconfirmed", false],
  ["held by a grayctl that records no machine", record({ machine: undefined, pid: undefined }), "unconfirmed", false],
];
for (const [name, r, basis, expired] of cases) {
  test(`judged at first sight: ${name} → ${basis}`, () => {
    const info = judgeOnce(r);
    assert.deepEqual([info?.basis, info?.expired], [basis, expired]);
  });
}
