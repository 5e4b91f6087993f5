// Monte Carlo harness for the error-rate rule: how often does it roll back a
// good canary, and how fast does it catch a bad one? Traffic is Poisson at a
// total rate, split between tracks by the step's weight; each request fails
// independently with its track's error rate. Poisson thinning makes a track's
// errors and successes independent Poisson counts, which keeps a trial cheap.
//
// A trial walks the steps in order and stops at the first failed step (the
// engine would roll back there). Inconclusive steps count as not failed here:
// the engine waits and re-evaluates, which this harness does not model.

import { decideErrorRate, type ErrorRateRule, type TrackCounts } from "./decision.ts";
import { poisson, seededRandom } from "./random.ts";

export interface Scenario {
  totalRps: number;
  stepSeconds: number;
  /** Canary weight (percent) per step, e.g. [5, 10, 25, 50, 100]. */
  weights: number[];
  stableErrorRate: number;
  canaryErrorRate: number;
  trials: number;
  seed: number;
}

export type Verdict = "passed" | "failed" | "inconclusive";

export interface Policy {
  name: string;
  /** `stableBaseline`: stable's counts from the latest earlier step with traffic. */
  judge(canary: TrackCounts, stable: TrackCounts, stableBaseline: TrackCounts | null): Verdict;
}

export interface SimulationResult {
  policy: string;
  trials: number;
  /** Trials failed at any step. */
  failedTrials: number;
  failRate: number;
  /** failedAtStep[i]: trials whose first failure was step i (0-based). */
  failedAtStep: number[];
  /** Share of trials failed within the first k steps, for k = 1..steps. */
  failedWithin: number[];
  inconclusiveSteps: number;
}

/** The rule grayctl uses (decision.ts). */
export function statisticalPolicy(rule: ErrorRateRule): Policy {
  return {
    name: "grayctl rule",
    judge: (canary, stable, stableBaseline) =>
      decideErrorRate("error-rate", { canary, stable, stableBaseline }, rule).result,
  };
}

/** The naive gate for comparison: canary error rate above `max` fails, however few requests. */
export function fixedThresholdPolicy(max: number): Policy {
  return {
    name: `fixed rate ≤ ${max * 100}%`,
    judge: (canary) => (canary.requests > 0 && canary.errors / canary.requests > max ? "failed" : "passed"),
  };
}

function trackCounts(expectedRequests: number, errorRate: number, random: () => number): TrackCounts {
  const errors = poisson(expectedRequests * errorRate, random);
  const successes = poisson(expectedRequests * (1 - errorRate), random);
  return { requests: errors + successes, errors };
}

export function simulate(scenario: Scenario, policy: Policy): SimulationResult {
  const random = seededRandom(scenario.seed);
  const failedAtStep = scenario.weights.map(() => 0);
  let inconclusiveSteps = 0;
  const perStep = scenario.totalRps * scenario.stepSeconds;
  for (let trial = 0; trial < scenario.trials; trial++) {
    let stableBaseline: TrackCounts | null = null;
    for (let step = 0; step < scenario.weights.length; step++) {
      const share = scenario.weights[step] / 100;
      const canary = trackCounts(perStep * share, scenario.canaryErrorRate, random);
      const stable = trackCounts(perStep * (1 - share), scenario.stableErrorRate, random);
      const verdict = policy.judge(canary, stable, stableBaseline);
      if (stable.requests > 0) stableBaseline = stable;
      if (verdict === "inconclusive") inconclusiveSteps++;
      if (verdict === "failed") {
        failedAtStep[step]++;
        break;
      }
    }
  }
  const failedTrials = failedAtStep.reduce((sum, n) => sum + n, 0);
  let running = 0;
  const failedWithin = failedAtStep.map((n) => {
    running += n;
    return running / scenario.trials;
  });
  return {
    policy: policy.name,
    trials: scenario.trials,
    failedTrials,
    failRate: failedTrials / scenario.trials,
    failedAtStep,
    failedWithin,
    inconclusiveSteps,
  };
}
