// Continuous evaluation (issue 21): the metric gates' looks inside a window —
// counts since the previous look, one sequential test for the whole rollout,
// a failure at any look, a pass only at the window's end — and the records
// of every look (bounded), shown in status --verbose and the CI summary.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createMetricGates } from "../../src/analysis/metric-gates.ts";
import { decisionRecord, keepLatest, LOOKS_KEPT, RECORDS_KEPT } from "../../src/analysis/record.ts";
import type { GateContext, PodRef } from "../../src/analysis/types.ts";
import { RunRecord } from "../../src/ci/run-record.ts";
import { rolloutSummary } from "../../src/ci/summary.ts";
import type { DecisionRecord } from "../../src/model/decision-record.ts";
import { eSparkline } from "../../src/output/sparkline.ts";

const pod = (name: string, track: "canary" | "stable"): PodRef => ({ name, namespace: "shop", track, port: 8080 });

/** Counter pages that move with a clock the test sets: cumulative ok and 5xx per pod, and a latency histogram. */
function pages() {
  const counters = new Map<string, { ok: number; errors: number }>([
    ["c1", { ok: 0, errors: 0 }],
    ["s1", { ok: 0, errors: 0 }],
  ]);
  const page = (name: string) => {
    const { ok, errors } = counters.get(name)!;
    const total = ok + errors;
    return [
      `http_requests_total{code="200"} ${ok}`,
      `http_requests_total{code="500"} ${errors}`,
      `http_request_duration_seconds_bucket{le="0.1"} ${total}`,
      `http_request_duration_seconds_bucket{le="+Inf"} ${total}`,
      `http_request_duration_seconds_count ${total}`,
    ].join("\n");
  };
  const serve = (name: string, ok: number, errors: number) => {
    const c = counters.get(name)!;
    c.ok += ok;
    c.errors += errors;
  };
  return { page, serve };
}

const settings = {
  provider: "pods" as const,
  minRequests: 20,
  intervalMs: 60_000,
  checks: [{ name: "error-rate", max: 0.01 }],
};
const clock = { now: () => 0, sleep: async () => {} };

function gatesOver(site: ReturnType<typeof pages>) {
  // scrapePod over pages the test moves: these tests are about the looks' bookkeeping; the HTTP path is
  // covered by test/integration/rollout-continuous.test.ts.
  return createMetricGates(settings, { clock, scrapePod: async (p) => site.page(p.name) });
}

const ctxAt = (step: number, startS: number, atS: number, final: boolean): GateContext => ({
  app: "checkout",
  namespace: "shop",
  step,
  weight: 10,
  windowStart: new Date(startS * 1000),
  windowEnd: new Date(atS * 1000),
  final,
  canaryPods: [pod("c1", "canary")],
  stablePods: [pod("s1", "stable")],
});

test("each look judges the counts since the gate's previous look, not since the window's start", async () => {
  const site = pages();
  const [gate] = gatesOver(site);
  await gate.begin!(ctxAt(0, 0, 0, false));
  site.serve("c1", 30, 0);
  site.serve("s1", 270, 3);
  const first = await gate.evaluate(ctxAt(0, 0, 10, false));
  assert.deepEqual([first.values?.canaryRequests, first.values?.stableRequests], [30, 273]);
  site.serve("c1", 12, 0);
  site.serve("s1", 100, 1);
  const second = await gate.evaluate(ctxAt(0, 0, 20, false));
  assert.deepEqual([second.values?.canaryRequests, second.values?.stableRequests], [12, 101], "only the new ones");
  // Inside the window nothing passes: the look concludes nothing.
  assert.equal(second.result, "passed");
  assert.equal(second.interim, true);
  assert.equal(decisionRecord(second, ctxAt(0, 0, 20, false)).verdict, "continue");
  // At the window's end the step passes, on the window's 42 canary requests (≥ minRequests 20).
  site.serve("c1", 0, 0);
  const end = await gate.evaluate(ctxAt(0, 0, 60, true));
  assert.equal(end.result, "passed", JSON.stringify(end));
  assert.equal(end.interim, undefined);
});

test("a 100 %-error canary fails at its first look; the reason names the counts and the e-value against 200", async () => {
  const site = pages();
  const [gate] = gatesOver(site);
  await gate.begin!(ctxAt(0, 0, 0, false));
  site.serve("c1", 0, 10);
  site.serve("s1", 190, 2);
  const look = await gate.evaluate(ctxAt(0, 0, 2, false));
  assert.equal(look.result, "failed", JSON.stringify(look));
  assert.match(
    look.result === "failed" ? look.reason : "",
    /^error-rate: canary 100% \(10\/10\) vs stable 1\.0% \(2\/192\) over the rollout so far; e-value \S+ ≥ 200: canary is worse than stable \(beyond the 1\.2× margin\)/,
  );
});

test("the e-process lives for the whole rollout: evidence too weak for one step adds up over steps; new gates (a resume) start afresh", async () => {
  const site = pages();
  const [gate] = gatesOver(site);
  // 4 % errors against stable's 1 %, 50 canary requests a step: each step alone stays under 200.
  const step = async (index: number, g = gate) => {
    const start = index * 100;
    await g.begin!(ctxAt(index, start, start, false));
    site.serve("c1", 48, 2);
    site.serve("s1", 990, 10);
    return g.evaluate(ctxAt(index, start, start + 60, true));
  };
  const results = [];
  for (let i = 0; i < 8; i++) {
    const result = await step(i);
    results.push(result);
    if (result.result === "failed") break;
  }
  const eValues = results.map((r) => r.values?.eValue ?? 0);
  assert.ok(eValues[0] < 200 && results[0].result === "passed", `first step: e=${eValues[0]}`);
  assert.equal(results.at(-1)?.result, "failed", `e-values by step: ${eValues.join(", ")}`);
  assert.ok(results.length > 1, "failed only once the steps' evidence added up");
  // A resumed rollout builds its gates anew: its e-process starts at 1 (decision 045).
  const [fresh] = gatesOver(site);
  const resumed = await step(results.length, fresh);
  assert.equal(resumed.result, "passed");
  assert.equal(resumed.values?.eValue, eValues[0], "the same counts give the first step's e-value again");
});

test("too few requests in the window is inconclusive at its end, never a pass", async () => {
  const site = pages();
  const [gate] = gatesOver(site);
  await gate.begin!(ctxAt(0, 0, 0, false));
  site.serve("c1", 5, 0);
  site.serve("s1", 95, 0);
  assert.equal((await gate.evaluate(ctxAt(0, 0, 10, false))).result, "passed");
  site.serve("c1", 5, 0);
  const end = await gate.evaluate(ctxAt(0, 0, 60, true));
  assert.equal(end.result, "inconclusive");
  assert.match(
    end.result === "inconclusive" ? end.why : "",
    /canary served 10 requests in this window, fewer than the 20/,
  );
});

const record = (look: boolean, step: number, eValue: number, verdict = look ? "continue" : "passed") =>
  ({
    gate: "error-rate",
    source: "pods",
    step,
    weight: 10,
    window: { start: "2026-01-01T00:00:00Z", end: "2026-01-01T00:00:10Z", seconds: 10 },
    canary: {},
    stable: {},
    statistic: "",
    pValue: null,
    threshold: {},
    details: {},
    verdict,
    text: "",
    evidence: { eValue, ceilingEValue: null, threshold: 200 },
    ...(look ? { look: "interim" } : {}),
  }) as DecisionRecord;

test("records: looks and step verdicts are bounded apart, so a long step's looks never push out earlier verdicts", () => {
  const verdicts = Array.from({ length: RECORDS_KEPT + 3 }, (_, i) => record(false, i, 1));
  const looks = Array.from({ length: LOOKS_KEPT + 40 }, (_, i) => record(true, 999, i));
  const kept = keepLatest([...verdicts, ...looks]);
  assert.equal(kept.filter((r) => r.look === "interim").length, LOOKS_KEPT);
  assert.equal(kept.filter((r) => r.look !== "interim").length, RECORDS_KEPT);
  assert.equal(kept[0].step, 3, "the oldest verdicts went first");
  assert.equal(kept.at(-1)?.evidence?.eValue, LOOKS_KEPT + 39, "the newest look is kept");
});

test("sparkline: ▁ at e ≤ 1, █ at the threshold, log-scaled between", () => {
  assert.equal(eSparkline([0.5, 1, Math.sqrt(200), 200, 1e9], 200), "▁▁▅██");
});

test("the CI summary shows each gate's e-values over the step's looks", () => {
  const record = new RunRecord();
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  record.event("step", { step: 1, of: 2, weight: 20 }, at(0));
  for (const [i, e] of [0.8, 3, 40].entries())
    record.event(
      "look",
      { gate: "error-rate", verdict: "continue", evidence: { eValue: e, ceilingEValue: null, threshold: 200 } },
      at(2 + 2 * i),
    );
  record.event(
    "gate",
    {
      gate: "error-rate",
      result: "failed",
      reason: "error-rate: canary 100% (9/9)",
      evidence: { eValue: 5000, ceilingEValue: 90, threshold: 200 },
    },
    at(8),
  );
  record.finish("rolled-back", { app: "shop" }, "rolled back", at(9));
  assert.match(
    rolloutSummary(record),
    /❌ error-rate: canary 100% \(9\/9\)<br>e-value per look ▁▂▆█ 0\.8 → 5\.0e\+3 \(fails at 200\)/,
  );
});
