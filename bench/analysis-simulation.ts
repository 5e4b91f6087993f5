// Prints the decision rule's false-rollback rate and detection power beside a
// fixed "error rate ≤ 1 %" threshold. Figures come from a seeded simulation;
// nothing here is asserted (the acceptance test does that).
// Run: node_modules/.bin/node bench/analysis-simulation.ts
import { fixedThresholdPolicy, type Scenario, simulate, statisticalPolicy } from "../src/analysis/simulate.ts";

const trials = 20_000;
const policies = [statisticalPolicy({ max: 0.01, minRequests: 50 }), fixedThresholdPolicy(0.01)];
const shapes: [string, number[]][] = [
  ["5% ×5", [5, 5, 5, 5, 5]],
  ["ramp 5→100", [5, 10, 25, 50, 100]],
];
const cases: { rps: number; stable: number; canary: number }[] = [
  { rps: 100, stable: 0.01, canary: 0.01 },
  { rps: 100, stable: 0.01, canary: 0.015 },
  { rps: 100, stable: 0.01, canary: 0.02 },
  { rps: 100, stable: 0.01, canary: 0.03 },
  { rps: 100, stable: 0.01, canary: 0.05 },
  { rps: 100, stable: 0.001, canary: 0.001 },
  { rps: 100, stable: 0.001, canary: 0.01 },
  { rps: 100, stable: 0.03, canary: 0.03 },
  { rps: 20, stable: 0.01, canary: 0.01 },
  { rps: 20, stable: 0.01, canary: 0.05 },
  { rps: 1000, stable: 0.01, canary: 0.01 },
  { rps: 1000, stable: 0.01, canary: 0.02 },
];

const pct = (x: number) => `${(x * 100).toFixed(2)}%`.padStart(8);
console.log(`${trials} trials per row, 1-minute steps, max 1 %, minRequests 50, seed 7`);
console.log("shape        rps  stable canary  policy            failed    step1    ≤2steps  ≤3steps  inconcl.");
for (const [shapeName, weights] of shapes) {
  for (const c of cases) {
    for (const policy of policies) {
      const scenario: Scenario = {
        totalRps: c.rps,
        stepSeconds: 60,
        weights,
        stableErrorRate: c.stable,
        canaryErrorRate: c.canary,
        trials,
        seed: 7,
      };
      const r = simulate(scenario, policy);
      console.log(
        [
          shapeName.padEnd(11),
          String(c.rps).padStart(5),
          pct(c.stable).slice(2),
          pct(c.canary).slice(2),
          ` ${policy.name.padEnd(17)}`,
          pct(r.failRate),
          pct(r.failedWithin[0]),
          pct(r.failedWithin[1]),
          pct(r.failedWithin[2]),
          String(r.inconclusiveSteps).padStart(9),
        ].join(" "),
      );
    }
  }
}
