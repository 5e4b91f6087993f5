// The sequential (anytime-valid) rule for counted events: errors among
// requests, or requests slower than a latency bound. One instance lives for
// a whole rollout and is fed every look's batch (the counts of that
// interval only, not cumulative). It fails the canary when EITHER
//  (a) worse than stable: the e-process of "canary rate ≤ margin × stable
//      rate" (ShareEProcess: canary's share of the interval's events, given
//      how many there were) reaches 1/(α/2); OR
//  (b) above the ceiling `max`: the e-process of "canary rate ≤ max"
//      (CeilingEProcess) reaches 1/(α/2) — unless stable's own rate over the
//      rollout so far is above `max` too (rolling back would not bring the
//      rate under the ceiling; declining to reject never costs validity).
// By Ville's inequality and a union bound, a canary inside both nulls is
// failed with probability ≤ α over the whole rollout, however many looks.
// See docs/analysis.md and docs/decisions/044-anytime-valid-analysis.md.

import { CeilingEProcess, logGridPrior, type MixturePrior, ShareEProcess } from "./e-process.ts";

export interface SequentialRule {
  /** False-rollback budget of this gate over a whole rollout (default 0.01), split evenly over (a) and (b). */
  alpha?: number;
  /** (a)'s null: the canary's rate is at most this multiple of stable's (default 1.2). */
  margin?: number;
  /** (b)'s ceiling on the canary's rate (0..1); without it only (a) judges. */
  max?: number;
  /** Alternatives of (a), as multiples of margin × stable's rate. */
  comparisonPrior?: MixturePrior;
  /** Alternatives of (b), as odds multiples of the ceiling's odds. */
  ceilingPrior?: MixturePrior;
}

/**
 * Default margin and priors (decision record 044): alternatives on a log grid
 * from 1.2× to 200× the boundary (10,000× in odds for the ceiling, so that a
 * 100 %-error canary is in range), weighted by a log-normal bump centred on
 * 3× (comparison) and 5× (ceiling) with spread 0.7 — the 3×–10× regressions
 * a step must catch within a few looks; a 100 %-error canary still crosses at
 * its first look. Tuned on the seeded simulation (bench/analysis/).
 */
export const sequentialDefaults = {
  alpha: 0.01,
  margin: 1.2,
  comparisonPrior: logGridPrior({ lowest: 1.2, highest: 200, points: 24, center: 3, spread: 0.7 }),
  ceilingPrior: logGridPrior({ lowest: 1.2, highest: 10_000, points: 28, center: 5, spread: 0.7 }),
};

/** One look's counts for one interval (deltas). */
export interface CountsBatch {
  canaryRequests: number;
  canaryEvents: number;
  stableRequests: number;
  stableEvents: number;
}

export interface SequentialLook {
  /** "continue": no conclusion yet (the step still needs its full interval to pass). */
  result: "failed" | "continue" | "inconclusive";
  /** Which null was rejected. */
  rejected?: "worse-than-stable" | "above-max";
  why?: string;
  /** Running e-values and the threshold each must reach (1 / (α/2)); Infinity past 1e308, so the logs too. */
  comparisonE: number;
  ceilingE: number | null;
  comparisonLogE: number;
  ceilingLogE: number | null;
  threshold: number;
  /** Totals over the rollout so far. */
  canaryRequests: number;
  canaryEvents: number;
  stableRequests: number;
  stableEvents: number;
}

const whole = (x: number) => (Number.isFinite(x) && x >= 0 ? Math.round(x) : null);

export class SequentialCountsTest {
  private readonly comparison: ShareEProcess;
  private readonly ceiling: CeilingEProcess | null;
  private readonly threshold: number;
  private readonly logThreshold: number;
  private readonly totals = { canaryRequests: 0, canaryEvents: 0, stableRequests: 0, stableEvents: 0 };
  readonly max: number | undefined;

  constructor(rule: SequentialRule = {}) {
    const alpha = rule.alpha ?? sequentialDefaults.alpha;
    if (!(alpha > 0 && alpha < 1)) throw new Error("alpha must be in (0, 1)");
    this.threshold = 2 / alpha;
    this.logThreshold = Math.log(this.threshold);
    this.max = rule.max;
    this.comparison = new ShareEProcess(
      rule.margin ?? sequentialDefaults.margin,
      rule.comparisonPrior ?? sequentialDefaults.comparisonPrior,
    );
    this.ceiling =
      rule.max !== undefined && rule.max > 0 && rule.max < 1
        ? new CeilingEProcess(rule.max, rule.ceilingPrior ?? sequentialDefaults.ceilingPrior)
        : null;
  }

  look(batch: CountsBatch): SequentialLook {
    const n = whole(batch.canaryRequests);
    const x = whole(batch.canaryEvents);
    const m = whole(batch.stableRequests);
    const y = whole(batch.stableEvents);
    if (n === null || x === null || m === null || y === null)
      return this.state("inconclusive", "counts are missing or NaN");
    // Prometheus' increase() extrapolates: tolerate an event count a hair above the request count.
    if (x > n * 1.01 + 1 || y > m * 1.01 + 1) return this.state("inconclusive", "more events than requests");
    const canaryEvents = Math.min(x, n);
    const stableEvents = Math.min(y, m);
    this.comparison.observe(n, canaryEvents, m, stableEvents);
    this.ceiling?.observe(n, canaryEvents);
    this.totals.canaryRequests += n;
    this.totals.canaryEvents += canaryEvents;
    this.totals.stableRequests += m;
    this.totals.stableEvents += stableEvents;

    if (this.comparison.logEValue() >= this.logThreshold) return this.state("failed", undefined, "worse-than-stable");
    if (this.ceiling && this.ceiling.logEValue() >= this.logThreshold && !this.stableAboveMax()) {
      return this.state("failed", undefined, "above-max");
    }
    return this.state("continue");
  }

  /** Stable's rate over the rollout so far is above `max` (the ceiling then cannot fail the canary). */
  stableAboveMax(): boolean {
    const { stableRequests, stableEvents } = this.totals;
    return this.max !== undefined && stableRequests > 0 && stableEvents / stableRequests > this.max;
  }

  private state(result: SequentialLook["result"], why?: string, rejected?: SequentialLook["rejected"]): SequentialLook {
    return {
      result,
      rejected,
      why,
      comparisonE: Math.exp(this.comparison.logEValue()),
      ceilingE: this.ceiling ? Math.exp(this.ceiling.logEValue()) : null,
      comparisonLogE: this.comparison.logEValue(),
      ceilingLogE: this.ceiling ? this.ceiling.logEValue() : null,
      threshold: this.threshold,
      ...this.totals,
    };
  }
}
