// The sequential rules over whole rollouts: what fails, when, and what each
// look records. Thresholds and e-values are recomputed here by hand.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Bucket } from "../../src/analysis/histogram.ts";
import { SequentialCountsTest } from "../../src/analysis/sequential.ts";
import {
  boundaryAtQuantile,
  countAbove,
  observations,
  SequentialLatencyTest,
} from "../../src/analysis/sequential-latency.ts";

const onePoint = (lift: number) => ({ logLifts: [Math.log(lift)], weights: [1] });
const batch = (canaryRequests: number, canaryEvents: number, stableRequests: number, stableEvents: number) => ({
  canaryRequests,
  canaryEvents,
  stableRequests,
  stableEvents,
});

test("a 100 %-error canary at 5 % of 100 req/s fails at its first 10-second look, as worse than stable", () => {
  const rule = new SequentialCountsTest({ max: 0.01 });
  const look = rule.look(batch(50, 50, 950, 10));
  assert.equal(look.result, "failed");
  assert.equal(look.rejected, "worse-than-stable");
  assert.equal(look.threshold, 200, "α = 1 % split over two tests: 1 / 0.005");
  assert.ok(look.comparisonE >= 200);
});

test("a flood of errors keeps a finite log e-value for the record when the e-value itself overflows", () => {
  const rule = new SequentialCountsTest({ max: 0.01 });
  const look = rule.look(batch(5000, 5000, 95_000, 950));
  assert.equal(look.comparisonE, Number.POSITIVE_INFINITY);
  assert.ok(Number.isFinite(look.comparisonLogE) && look.comparisonLogE > 700, `${look.comparisonLogE}`);
});

test("the threshold is 2/α and the recorded comparison e-value is the likelihood ratio computed by hand", () => {
  const rule = new SequentialCountsTest({ alpha: 0.1, margin: 1.5, comparisonPrior: onePoint(2) });
  const look = rule.look(batch(50, 3, 950, 9));
  assert.equal(look.threshold, 20);
  const p0 = 75 / 1025;
  const p1 = 150 / 1100;
  const expected = (p1 / p0) ** 3 * ((1 - p1) / (1 - p0)) ** 9;
  assert.ok(Math.abs(look.comparisonE - expected) < 1e-9 * expected, `${look.comparisonE} vs ${expected}`);
  assert.equal(look.result, "continue");
  assert.equal(look.ceilingE, null, "no max, no ceiling test");
});

test("evidence accumulates across looks: small excesses that no single look shows add up", () => {
  const rule = new SequentialCountsTest({ max: 0.01 });
  let failedAt = -1;
  // Canary at 4 % (2 of 50), stable at 1 % (10 of 1,000) every look.
  for (let i = 0; i < 30 && failedAt < 0; i++) if (rule.look(batch(50, 2, 950, 10)).result === "failed") failedAt = i;
  assert.ok(failedAt > 0 && failedAt < 12, `failed at look ${failedAt}`);
});

test("above max fails only while stable is under max; missing counts are inconclusive and change nothing", () => {
  const canaryOnly = (stableErrors: number) => {
    // margin 100 keeps the comparison from judging: only the ceiling can fail.
    const rule = new SequentialCountsTest({ max: 0.01, margin: 100 });
    let last = rule.look(batch(Number.NaN, 0, 950, 10));
    assert.equal(last.result, "inconclusive");
    assert.equal(last.canaryRequests, 0);
    for (let i = 0; i < 6; i++) last = rule.look(batch(50, 3, 950, stableErrors));
    return last;
  };
  const underMax = canaryOnly(5);
  assert.equal(underMax.result, "failed");
  assert.equal(underMax.rejected, "above-max");
  assert.equal(canaryOnly(30).result, "continue", "stable at 3 % is above max 1 % too: rolling back would not help");
  const rule = new SequentialCountsTest({});
  assert.equal(rule.look(batch(10, 20, 100, 1)).result, "inconclusive", "more errors than requests");
});

const buckets = (counts: number[], bounds = [0.1, 0.25, 0.5, 1, Number.POSITIVE_INFINITY]): Bucket[] => {
  let running = 0;
  return bounds.map((le, i) => {
    running += counts[i];
    return { le, count: running };
  });
};

test("countAbove and boundaryAtQuantile read cumulative buckets", () => {
  const b = buckets([900, 90, 8, 2, 0]);
  assert.equal(countAbove(b, 0.25), 10);
  assert.equal(countAbove(b, 0.3), 2, "a bound between buckets uses the next bound above");
  assert.equal(observations(b), 1000);
  assert.equal(boundaryAtQuantile(b, 0.99), 0.25, "990 of 1,000 at or below 0.25 s");
  assert.equal(boundaryAtQuantile(b, 0.995), 0.5);
  assert.equal(boundaryAtQuantile(buckets([0, 0, 0, 0, 0]), 0.99), null);
  assert.equal(countAbove([{ le: 0.1, count: 3 }], 0.1), null, "no +Inf bucket");
});

test("latency: the slow boundary comes from stable's earlier looks, and a 2× slower canary fails", () => {
  const rule = new SequentialLatencyTest({ max: 1 });
  // Stable: 1 % above 0.25 s. Canary: 15 % above 0.25 s.
  const stable = buckets([900, 90, 9, 1, 0]);
  const canary = buckets([30, 12, 7, 1, 0]);
  const first = rule.look(canary, stable);
  assert.equal(first.slowerThan, null, "no earlier stable look to place stable's p99");
  assert.ok(Math.abs(first.comparisonE - 1) < 1e-12, "no evidence yet");
  let look = first;
  for (let i = 0; i < 10 && look.result !== "failed"; i++) look = rule.look(canary, stable);
  assert.equal(look.result, "failed");
  assert.equal(look.rejected, "slower-than-stable");
  assert.equal(look.slowerThan, 0.25);
});

test("latency: a canary as fast as stable keeps passing look after look", () => {
  const rule = new SequentialLatencyTest({ max: 0.5 });
  const same = buckets([900, 90, 9, 1, 0]);
  const canary = buckets([45, 4, 1, 0, 0]);
  for (let i = 0; i < 60; i++) assert.equal(rule.look(canary, same).result, "continue");
});
