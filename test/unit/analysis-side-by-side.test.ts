// The new rule's targets (issue 21) on the bench's seeded traffic, at a
// fraction of the bench's trials so that a change to the statistics or the
// prior that breaks them fails here, in seconds. Rates from a seeded
// simulation (deterministic), not wall times. Full figures: docs/analysis.md.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compare } from "../../bench/analysis/compare.ts";
import { flaggerRule, grayctlRule } from "../../bench/analysis/rules.ts";
import { scenarios } from "../../bench/analysis/traffic.ts";

const run = (names: string[], trials: number, rules = [grayctlRule()]) =>
  compare({ trials: () => trials, seed: 7, rules, scenarios: scenarios.filter((s) => names.includes(s.name)) }).rows;

test("good canaries — steady, bursty, drifting — are rolled back in ≤ 1 % of rollouts of 30 looks", () => {
  for (const row of run(["good-100rps", "good-bursty", "good-diurnal"], 3000)) {
    assert.ok(
      row.falseRollbackRate !== null && row.falseRollbackRate <= 0.01,
      `${row.scenario}: ${row.falseRollbackRate}`,
    );
  }
});

test("a 100 %-error canary is rolled back at the first look; +100 % p99 within 2 minutes; a 5× canary within 60 s median", () => {
  const rows = run(["bad-100pct", "latency-100pct", "bad-5x"], 1000);
  const by = (name: string) => rows.find((r) => r.scenario === name)!;
  assert.equal(by("bad-100pct").detectP95S, 10);
  assert.ok((by("latency-100pct").detectMedianS ?? Number.POSITIVE_INFINITY) <= 120);
  assert.ok((by("bad-5x").detectMedianS ?? Number.POSITIVE_INFINITY) <= 60, `${by("bad-5x").detectMedianS}`);
});

test("a Flagger-style 1 % threshold on the same traffic rolls back good canaries often (why the rule exists)", () => {
  const [row] = run(["good-100rps"], 1000, [flaggerRule]);
  assert.ok(row.falseRollbackRate !== null && row.falseRollbackRate > 0.2, `${row.falseRollbackRate}`);
});
