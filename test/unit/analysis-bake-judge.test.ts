// The bake's ceilings (decision 049), judged over looks of the stable track's
// counts: a bound crossed fails with its figure, a few early errors do not,
// too little traffic is said and passes, custom checks compare their value.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BakeJudge, bakeable } from "../../src/analysis/bake-judge.ts";

const errorRate = (max: number) => new BakeJudge({ name: "error-rate", max }, 20);

test("only checks with a bound are judged during a bake", () => {
  assert.deepEqual(
    [
      { name: "error-rate", max: 0.01 },
      { name: "error-rate" },
      { name: "latency-p99", max: 0.5 },
      { name: "latency-p99" },
      { name: "queue", query: "q", min: 1 },
      { name: "queue", query: "q" },
    ].map(bakeable),
    [true, false, true, false, true, false],
  );
});

test("error-rate far above max fails with the figure, the bound and the evidence", () => {
  const judge = errorRate(0.01);
  const verdict = judge.look({ requests: 100, errors: 23 });
  assert.equal(verdict?.result, "failed");
  assert.deepEqual(judge.final(), verdict, "a failed bound stays failed");
  assert.match(
    verdict!.text,
    /^error-rate 23% \(23\/100\) > max 1\.0% on stable after promotion \(above-max e-value [\d.e+]+ ≥ 200\)$/,
  );
});

test("one error in the bake's first 20 requests (5 % > max 1 %) fails nothing: the evidence is too thin; hundreds of clean requests later it passes", () => {
  const judge = errorRate(0.01);
  assert.equal(judge.look({ requests: 20, errors: 1 }), undefined);
  for (let look = 0; look < 20; look++) assert.equal(judge.look({ requests: 30, errors: 0 }), undefined);
  const verdict = judge.final();
  assert.equal(verdict.result, "passed");
  assert.match(
    verdict.text,
    /^error-rate 0\.2% \(1\/620\) on stable during the bake, max 1\.0% \(above-max e-value [\d.e+-]+ < 200\)$/,
  );
});

test("fewer than minRequests by the bake's end: not judged, said with the last reason a look gave, not failed", () => {
  const judge = errorRate(0.01);
  // 10 of 10 requests failed, but 10 is below minRequests 20.
  assert.equal(judge.look({ requests: 10, errors: 10 }), undefined);
  assert.equal(judge.look({ why: "pod shop-1: scrape failed: no answer within 5000 ms" }), undefined);
  assert.deepEqual(judge.final(), {
    check: "error-rate",
    result: "too-little-data",
    text: "error-rate: stable served 10 requests during the bake, fewer than minRequests 20: not judged (last look: pod shop-1: scrape failed: no answer within 5000 ms)",
  });
});

test("latency-p99: most requests slower than max fail the bake, with the p99", () => {
  const judge = new BakeJudge({ name: "latency-p99", max: 0.5 }, 20);
  const buckets = [
    { le: 0.1, count: 10 },
    { le: 0.5, count: 20 },
    { le: 1, count: 100 },
    { le: Number.POSITIVE_INFINITY, count: 100 },
  ];
  const verdict = judge.look({ buckets });
  assert.equal(verdict?.result, "failed");
  assert.match(
    verdict!.text,
    /^latency-p99 \d+ms > max 500ms on stable after promotion: 80\/100 requests slower than max \(above-max e-value/,
  );
});

test("a custom check compares its value with min and max at each look", () => {
  const judge = new BakeJudge({ name: "queue-depth", query: "q", max: 100, min: 1 }, 20);
  assert.equal(judge.look({ value: 50 }), undefined);
  assert.equal(judge.final().result, "passed");
  assert.equal(judge.look({ value: 0.5 })?.text, "queue-depth 0.5 < min 1 on stable after promotion");
  const high = new BakeJudge({ name: "queue-depth", query: "q", max: 100 }, 20);
  assert.equal(high.look({ value: 250 })?.text, "queue-depth 250 > max 100 on stable after promotion");
  const none = new BakeJudge({ name: "queue-depth", query: "q", max: 100 }, 20);
  none.look({ why: "query returned 0 series; expected one" });
  assert.equal(none.final().result, "too-little-data");
});
