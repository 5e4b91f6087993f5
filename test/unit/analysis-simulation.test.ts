// The acceptance figures for the decision rule. These are rates from a seeded
// simulation (deterministic), not wall times. "5 % canary share" is checked two
// ways: held at 5 % for all five steps (the hardest case: every step sees only
// ~300 canary requests) and as the first step of the 5,10,25,50,100 ramp.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fixedThresholdPolicy, simulate, statisticalPolicy } from "../../src/analysis/simulate.ts";

const traffic = { totalRps: 100, stepSeconds: 60, trials: 5000, seed: 20240601, stableErrorRate: 0.01 };
const rule = statisticalPolicy({ max: 0.01, minRequests: 50 });
const shapes = { "5 % held for 5 steps": [5, 5, 5, 5, 5], "ramp 5,10,25,50,100": [5, 10, 25, 50, 100] };

for (const [shape, weights] of Object.entries(shapes)) {
  test(`${shape}: a good canary (1 % vs 1 %) is rolled back in ≤ 1 % of trials`, () => {
    const result = simulate({ ...traffic, weights, canaryErrorRate: 0.01 }, rule);
    assert.ok(result.failRate <= 0.01, `false rollbacks ${(result.failRate * 100).toFixed(2)} %`);
    assert.equal(result.inconclusiveSteps, 0, "300 canary requests per step is above minRequests");
  });

  test(`${shape}: a bad canary (5 % vs 1 %) is caught within two steps in ≥ 95 % of trials`, () => {
    const result = simulate({ ...traffic, weights, canaryErrorRate: 0.05 }, rule);
    assert.ok(result.failedWithin[1] >= 0.95, `caught within two steps ${(result.failedWithin[1] * 100).toFixed(1)} %`);
  });
}

test("the fixed 1 % threshold rolls back most good canaries at this traffic (why the rule exists)", () => {
  const result = simulate({ ...traffic, weights: [5, 5, 5, 5, 5], canaryErrorRate: 0.01 }, fixedThresholdPolicy(0.01));
  assert.ok(result.failRate > 0.5, `fixed threshold false rollbacks ${(result.failRate * 100).toFixed(1)} %`);
});

test("the simulation is deterministic for a seed", () => {
  const scenario = { ...traffic, trials: 500, weights: [5, 10], canaryErrorRate: 0.03 };
  assert.deepEqual(simulate(scenario, rule), simulate(scenario, rule));
});
