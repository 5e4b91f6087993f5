import assert from "node:assert/strict";
import { test } from "node:test";
import { histogramQuantile } from "../../src/analysis/histogram.ts";
import { parseMetricsText, seriesKey } from "../../src/analysis/metrics-text.ts";

const page = String.raw`# HELP http_requests_total Requests by "code".\nSecond line.
# TYPE http_requests_total counter
http_requests_total{code="200",path="/a\"b\\c\nd"} 1027 1395066363000
http_requests_total{ code = "500" , } 3
# a free comment
process_start_time_seconds 1.7e9

# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="0.1"} 33444
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320
weird_values{kind="nan"} NaN
weird_values{kind="neg"} -Inf
`;

test("parses counters, escaped label values, comments, timestamps and histograms", () => {
  const parsed = parseMetricsText(page);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  if (!parsed.ok) return;
  const [first, second] = parsed.samples;
  assert.deepEqual(first, {
    name: "http_requests_total",
    labels: { code: "200", path: 'a"b\\c\nd'.replace(/^/, "/") },
    value: 1027,
  });
  assert.deepEqual(second.labels, { code: "500" });
  assert.equal(parsed.types.get("http_request_duration_seconds"), "histogram");
  const inf = parsed.samples.find((s) => s.labels.le === "+Inf");
  assert.equal(inf?.value, 144320);
  assert.ok(Number.isNaN(parsed.samples.find((s) => s.labels.kind === "nan")!.value));
  assert.equal(parsed.samples.find((s) => s.labels.kind === "neg")!.value, Number.NEGATIVE_INFINITY);
  assert.equal(parsed.samples.length, 10);
});

const malformed = [
  ["unterminated label value", 'm{a="x} 1'],
  ["missing value", 'm{a="x"}'],
  ["bad value", "m 12abc"],
  ["duplicate label", 'm{a="1",a="2"} 1'],
  ["bad metric name", "1m 1"],
  ["bad timestamp", "m 1 yesterday"],
] as const;

for (const [name, line] of malformed) {
  test(`rejects the whole page on a malformed line: ${name}`, () => {
    const parsed = parseMetricsText(`ok_metric 1\n${line}\n`);
    assert.equal(parsed.ok, false);
    if (!parsed.ok) assert.equal(parsed.line, 2);
  });
}

test("series keys ignore label order", () => {
  assert.equal(seriesKey("m", { b: "2", a: "1" }), seriesKey("m", { a: "1", b: "2" }));
});

test("p99 interpolates linearly within the bucket, like histogram_quantile", () => {
  // 100 observations: 90 ≤ 0.1 s, 8 in (0.1, 0.5], 2 in (0.5, 1]. Rank 99 → 1/2 into (0.5, 1].
  const buckets = [
    { le: 0.1, count: 90 },
    { le: 0.5, count: 98 },
    { le: 1, count: 100 },
    { le: Number.POSITIVE_INFINITY, count: 100 },
  ];
  assert.equal(histogramQuantile(0.99, buckets), 0.75);
  assert.equal(histogramQuantile(0.5, buckets), (50 / 90) * 0.1);
});

test("p99 in the +Inf bucket is the highest finite bound; no data or no +Inf is NaN", () => {
  const slow = [
    { le: 0.1, count: 10 },
    { le: Number.POSITIVE_INFINITY, count: 100 },
  ];
  assert.equal(histogramQuantile(0.99, slow), 0.1);
  assert.ok(
    Number.isNaN(
      histogramQuantile(0.99, [
        { le: 0.1, count: 0 },
        { le: Number.POSITIVE_INFINITY, count: 0 },
      ]),
    ),
  );
  assert.ok(Number.isNaN(histogramQuantile(0.99, [{ le: 0.1, count: 5 }])));
  assert.ok(Number.isNaN(histogramQuantile(0.99, [])));
});

test("p99 tolerates a non-monotonic scrape by clamping, as Prometheus does", () => {
  const buckets = [
    { le: 0.1, count: 50 },
    { le: 0.5, count: 49 },
    { le: Number.POSITIVE_INFINITY, count: 100 },
  ];
  assert.ok(Math.abs(histogramQuantile(0.4, buckets) - 0.08) < 1e-12);
});
