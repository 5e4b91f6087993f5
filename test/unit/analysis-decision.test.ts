import assert from "node:assert/strict";
import { test } from "node:test";
import { decideErrorRate } from "../../src/analysis/decision.ts";
import { decideLatency, decideThreshold } from "../../src/analysis/decision-latency.ts";

const c = (requests: number, errors: number) => ({ requests, errors });
const rule = { max: 0.01, minRequests: 50 };

const errorRateTable = [
  { name: "clear pass: both at 1 %", canary: c(300, 3), stable: c(5700, 57), expect: "passed" },
  { name: "pass: a few unlucky errors at 5 % share", canary: c(300, 6), stable: c(5700, 57), expect: "passed" },
  { name: "clear fail: 5 % vs 1 %", canary: c(300, 15), stable: c(5700, 57), expect: "failed" },
  { name: "clear fail: 4.8 % vs 1 %", canary: c(500, 24), stable: c(9500, 95), expect: "failed" },
  { name: "too few canary requests", canary: c(49, 40), stable: c(5700, 57), expect: "inconclusive" },
  { name: "no canary data", canary: null, stable: c(5700, 57), expect: "inconclusive" },
  { name: "NaN canary requests", canary: c(Number.NaN, 0), stable: c(5700, 57), expect: "inconclusive" },
  { name: "NaN canary errors", canary: c(300, Number.NaN), stable: c(5700, 57), expect: "inconclusive" },
  { name: "errors above requests", canary: c(300, 400), stable: c(5700, 57), expect: "inconclusive" },
  { name: "stable also bad, canary no worse", canary: c(300, 9), stable: c(5700, 171), expect: "passed" },
  { name: "stable also bad, canary much worse", canary: c(300, 45), stable: c(5700, 171), expect: "failed" },
  { name: "no stable traffic, canary under max", canary: c(6000, 55), stable: c(0, 0), expect: "passed" },
  { name: "no stable traffic, canary over max", canary: c(6000, 120), stable: c(0, 0), expect: "failed" },
] as const;

for (const row of errorRateTable) {
  test(`error-rate: ${row.name} → ${row.expect}`, () => {
    const result = decideErrorRate("error-rate", { canary: row.canary, stable: row.stable }, rule);
    assert.equal(result.result, row.expect, JSON.stringify(result));
  });
}

test("error-rate: significantly worse but not by a practical margin passes", () => {
  const input = { canary: c(1e7, 102_000), stable: c(1e8, 1_000_000) };
  const result = decideErrorRate("error-rate", input, { minRequests: 50 });
  assert.equal(result.result, "passed", JSON.stringify(result));
  assert.ok((result.values?.pValue as number) < 0.001, "the difference is significant");
});

test("error-rate: no baseline and no max is inconclusive, not a pass", () => {
  const result = decideErrorRate("error-rate", { canary: c(6000, 0), stable: null }, { minRequests: 50 });
  assert.equal(result.result, "inconclusive");
});

test("error-rate: the failure message names rates, counts and p", () => {
  const result = decideErrorRate("error-rate", { canary: c(500, 24), stable: c(9500, 95) }, rule);
  assert.equal(result.result, "failed");
  if (result.result !== "failed") return;
  assert.match(result.reason, /^error-rate: canary 4\.8% \(24\/500\) vs stable 1\.0% \(95\/9500\), p<0\.0001/);
  assert.equal(result.values?.canaryErrors, 24);
  assert.equal(result.values?.stableRequests, 9500);
});

test("error-rate: Prometheus' extrapolated decimals are rounded", () => {
  const result = decideErrorRate("error-rate", { canary: c(300.4, 2.6), stable: c(5700.2, 57.1) }, rule);
  assert.equal(result.result, "passed");
  assert.equal(result.values?.canaryErrors, 3);
});

const latencyTable = [
  { name: "both fast", canary: { p99: 0.12, count: 300 }, stable: { p99: 0.1, count: 5700 }, expect: "passed" },
  { name: "canary above max", canary: { p99: 0.8, count: 300 }, stable: { p99: 0.1, count: 5700 }, expect: "failed" },
  { name: "canary 3× stable", canary: { p99: 0.3, count: 300 }, stable: { p99: 0.1, count: 5700 }, expect: "failed" },
  {
    name: "2× but within bucket noise",
    canary: { p99: 0.01, count: 300 },
    stable: { p99: 0.005, count: 5700 },
    expect: "passed",
  },
  { name: "few samples", canary: { p99: 0.8, count: 10 }, stable: { p99: 0.1, count: 5700 }, expect: "inconclusive" },
  {
    name: "NaN p99",
    canary: { p99: Number.NaN, count: 300 },
    stable: { p99: 0.1, count: 5700 },
    expect: "inconclusive",
  },
  { name: "null canary", canary: null, stable: { p99: 0.1, count: 5700 }, expect: "inconclusive" },
  { name: "stable also slow", canary: { p99: 0.7, count: 300 }, stable: { p99: 0.65, count: 5700 }, expect: "passed" },
  { name: "no stable, under max", canary: { p99: 0.2, count: 300 }, stable: null, expect: "passed" },
] as const;

for (const row of latencyTable) {
  test(`latency-p99: ${row.name} → ${row.expect}`, () => {
    const result = decideLatency(
      "latency-p99",
      { canary: row.canary, stable: row.stable },
      { max: 0.5, minSamples: 50 },
    );
    assert.equal(result.result, row.expect, JSON.stringify(result));
  });
}

test("custom threshold: NaN and null are inconclusive; bounds fail", () => {
  assert.equal(decideThreshold("q", Number.NaN, { max: 1 }).result, "inconclusive");
  assert.equal(decideThreshold("q", null, { max: 1 }).result, "inconclusive");
  assert.equal(decideThreshold("q", 2, { max: 1 }).result, "failed");
  assert.equal(decideThreshold("q", 0.1, { min: 0.5 }).result, "failed");
  assert.equal(decideThreshold("q", 0.7, { min: 0.5, max: 1 }).result, "passed");
});

test("error-rate: at a 100 % step an earlier stable window is the baseline", () => {
  const input = { canary: c(6000, 180), stable: c(0, 0), stableBaseline: c(3000, 90) };
  const result = decideErrorRate("error-rate", input, rule);
  assert.equal(result.result, "passed", "stable was at 3 % too: the ceiling gives way");
  assert.match(result.result === "passed" ? result.summary : "", /earlier window/);
  const worse = decideErrorRate("error-rate", { ...input, canary: c(6000, 600) }, rule);
  assert.equal(worse.result, "failed");
});
