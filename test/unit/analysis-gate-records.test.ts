// Decision records and the pure parts of the command and web gates: what a
// record holds for each kind of gate, the JSONPath number rule, the output tail.
import assert from "node:assert/strict";
import { test } from "node:test";
import { maskEnvironmentSecrets } from "../../src/analysis/command-gate.ts";
import { decideErrorRate } from "../../src/analysis/decision.ts";
import { decisionRecord, keepLatest, RECORD_TEXT_MAX, RECORDS_KEPT } from "../../src/analysis/record.ts";
import type { GateContext } from "../../src/analysis/types.ts";
import { numberAt } from "../../src/analysis/web-gate.ts";

const ctx: GateContext = {
  app: "shop",
  namespace: "default",
  step: 1,
  weight: 25,
  windowStart: new Date("2026-01-01T00:00:00Z"),
  windowEnd: new Date("2026-01-01T00:01:00Z"),
  canaryPods: [],
  stablePods: [],
};

test("an error-rate verdict becomes a record with both tracks' counts, the p-value and the threshold", () => {
  const result = decideErrorRate(
    "error-rate",
    { canary: { requests: 500, errors: 24 }, stable: { requests: 9500, errors: 95 } },
    { max: 0.01, minRequests: 50 },
  );
  const record = decisionRecord(
    { ...result, source: { kind: "prometheus", query: "sum(x)", statistic: "fisher" } },
    ctx,
  );
  assert.equal(record.verdict, "failed");
  assert.deepEqual([record.step, record.weight, record.window.seconds], [2, 25, 60]);
  assert.deepEqual(record.canary, { requests: 500, errors: 24, rate: 0.048 });
  assert.deepEqual(record.stable, { requests: 9500, errors: 95, rate: 0.01 });
  assert.ok(record.pValue !== null && record.pValue < 0.001);
  assert.equal(record.threshold.max, 0.01);
  assert.equal(record.threshold.alpha, 0.001);
  assert.equal(typeof record.details.ceilingPValue, "number", "the ceiling test's p-value");
  assert.deepEqual([record.source, record.query, record.statistic], ["prometheus", "sum(x)", "fisher"]);
  assert.match(record.text, /canary 4\.8% \(24\/500\) vs stable 1\.0% \(95\/9500\)/);
});

test("a threshold check's value is the canary's; other numbers are details", () => {
  const record = decisionRecord(
    { gate: "smoke", result: "passed", summary: "ok", values: { value: 3, min: 1, max: null, exitCode: 0 } },
    ctx,
  );
  assert.deepEqual(record.canary, { value: 3 });
  assert.deepEqual(record.threshold, { min: 1, max: null });
  assert.deepEqual(record.details, { exitCode: 0 });
  assert.equal(record.source, "unknown");
});

test("records are bounded: the newest RECORDS_KEPT, each text at most RECORD_TEXT_MAX", () => {
  const long = decisionRecord({ gate: "g", result: "failed", reason: "x".repeat(5000) }, ctx);
  assert.equal(long.text.length, RECORD_TEXT_MAX);
  const many = Array.from({ length: RECORDS_KEPT + 7 }, (_, i) => ({ ...long, step: i }));
  const kept = keepLatest(many);
  assert.equal(kept.length, RECORDS_KEPT);
  assert.equal(kept.at(-1)?.step, RECORDS_KEPT + 6);
});

for (const [name, json, path, expected] of [
  ["a number", { a: { b: 0.5 } }, "$.a.b", 0.5],
  ["a numeric string", { a: "0.25" }, "$.a", 0.25],
  [
    "the last point of a Datadog series",
    {
      series: [
        {
          pointlist: [
            [1, 2],
            [3, 4],
          ],
        },
      ],
    },
    "$.series[0].pointlist[-1:][1]",
    4,
  ],
  ["nothing there", { series: [] }, "$.series[0].pointlist[-1:][1]", /no value at/],
  ["null", { a: null }, "$.a", /is null, not a number/],
  ["NaN as a string", { a: "NaN" }, "$.a", /"NaN", not a number/],
  ["an empty string", { a: "" }, "$.a", /"", not a number/],
  ["an object", { a: { b: 1 } }, "$.a", /not a number/],
  ["two values", { a: [1, 2] }, "$.a[*]", /2 values at \$\.a\[\*\]; expected one/],
] as const) {
  test(`web gate value: ${name}`, () => {
    const found = numberAt(json, path);
    if (typeof expected === "number") assert.deepEqual(found, { ok: true, value: expected });
    else assert.ok(!found.ok && expected.test(found.why), JSON.stringify(found));
  });
}

test("values of environment variables named like secrets are masked in a command's output", () => {
  const env = { GITHUB_TOKEN: "ghs_abcdef123", HOME: "/root", AWS_SECRET_ACCESS_KEY: "s3cr3tvalue", SHORT_KEY: "ab" };
  assert.equal(
    maskEnvironmentSecrets("token ghs_abcdef123 home /root key s3cr3tvalue ab", env),
    "token *** home /root key *** ab",
  );
});
