// A built-in check's own options. latency-p99's configured slow bound (issue
// 21: "at stable's p99, or a configured slowerThan"): the judge compares the canary's share of requests
// slower than that bound with stable's from the first look on, where the
// default bound (stable's p99 bucket) is only known from stable's earlier
// looks. Bucket counts are written out per bucket here, cumulated below.
import assert from "node:assert/strict";
import { test } from "node:test";
import { errorRateJudge, latencyJudge } from "../../src/analysis/continuous.ts";
import type { Bucket } from "../../src/analysis/histogram.ts";
import type { GateContext } from "../../src/analysis/types.ts";

const buckets = (perBucket: number[], bounds = [0.1, 0.25, 0.5, 1, Number.POSITIVE_INFINITY]): Bucket[] => {
  let running = 0;
  return bounds.map((le, i) => {
    running += perBucket[i];
    return { le, count: running };
  });
};
const ctx: GateContext = {
  app: "checkout",
  namespace: "shop",
  step: 0,
  weight: 10,
  windowStart: new Date(0),
  windowEnd: new Date(10_000),
  canaryPods: [],
  stablePods: [],
};
// Stable: 1 % above 0.25 s, 5 % above 0.1 s. Canary: 1 % above 0.25 s too, but 40 % above 0.1 s.
const stable = buckets([950, 40, 9, 1, 0]);
const canary = buckets([60, 39, 1, 0, 0]);

test("a configured slowerThan is the bound from the first look; 40 % of the canary above 0.1 s against stable's 5 % fails", () => {
  const judge = latencyJudge("latency-p99", { minRequests: 20, slowerThan: 0.1 });
  const first = judge(ctx, canary, stable);
  assert.equal(first.values?.slowerThan, 0.1);
  assert.deepEqual([first.values?.canarySlow, first.values?.stableSlow], [40, 50]);
  let verdict = first;
  for (let look = 1; look < 10 && verdict.result !== "failed"; look++) verdict = judge(ctx, canary, stable);
  assert.equal(verdict.result, "failed", JSON.stringify(verdict));
});

test("the same traffic with the default bound (stable's p99 bucket, 0.25 s) is not a latency regression", () => {
  const judge = latencyJudge("latency-p99", { minRequests: 20 });
  const first = judge(ctx, canary, stable);
  assert.equal(first.values?.slowerThan, null, "no earlier stable look to place stable's p99");
  for (let look = 1; look < 10; look++) {
    const verdict = judge(ctx, canary, stable);
    assert.equal(verdict.values?.slowerThan, 0.25);
    assert.notEqual(verdict.result, "failed", JSON.stringify(verdict));
  }
});

test("a slowerThan between bucket bounds is rounded up to the next bound", () => {
  const judge = latencyJudge("latency-p99", { minRequests: 20, slowerThan: 0.2 });
  const first = judge(ctx, canary, stable);
  assert.deepEqual([first.values?.canarySlow, first.values?.stableSlow], [1, 10], "counted above 0.25 s");
});

test("alpha sets the gate's threshold (2/alpha): a 100 %-error canary needs more evidence at 0.001 than at the default 0.01", () => {
  const batch = { canaryRequests: 5, canaryEvents: 5, stableRequests: 95, stableEvents: 1 };
  const looksToFail = (alpha?: number) => {
    const judge = errorRateJudge("error-rate", { minRequests: 1, max: 0.01, alpha });
    for (let look = 1; look <= 50; look++) {
      const verdict = judge(ctx, batch);
      if (verdict.result === "failed") return { look, threshold: verdict.values?.eThreshold };
    }
    return { look: Infinity, threshold: undefined };
  };
  const strict = looksToFail(0.001);
  const usual = looksToFail();
  assert.equal(strict.threshold, 2000);
  assert.equal(usual.threshold, 200);
  assert.ok(strict.look > usual.look, `alpha 0.001 failed at look ${strict.look}, the default at ${usual.look}`);
});
