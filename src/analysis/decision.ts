// The error-rate decision rule: canary against stable over the same window,
// judged on the request counts actually seen. See docs/analysis.md for the
// rule written out and its measured false-rollback rate.
//
// The canary fails when EITHER
//  (a) it is significantly worse than stable (one-sided Fisher exact test,
//      p < alpha) AND worse by a practical margin (rate above stable by at
//      least max(relativeMargin × stable rate, absoluteMargin)); OR
//  (b) its rate is above the configured `max` with confidence (the exact
//      binomial test of "true rate ≤ max" rejects at alpha, i.e. the lower
//      confidence bound of the canary's rate is above max) — unless stable
//      is itself above `max`, where rolling back would not bring the rate
//      under the ceiling and only (a) can fail the canary.
// Fewer than `minRequests` canary requests, or counts that are missing, NaN
// or inconsistent, are inconclusive — never a pass.

import { count, percent, pValue } from "./format.ts";
import { binomialUpperTail, fisherUpperTail } from "./stats.ts";
import type { GateResult, GateValues } from "./types.ts";

export interface TrackCounts {
  requests: number;
  errors: number;
}

export interface ErrorRateInput {
  canary: TrackCounts | null;
  stable: TrackCounts | null;
  /**
   * Stable's counts from the latest earlier window that had enough of them,
   * used when this window's stable traffic is too small (a 100 % step): the
   * comparison keeps a baseline, and a stable that was itself above `max`
   * still relaxes the ceiling.
   */
  stableBaseline?: TrackCounts | null;
}

export interface ErrorRateRule {
  /** Absolute ceiling on the canary's error rate (0..1), applied with confidence. */
  max?: number;
  minRequests: number;
  /** Significance of each test (default 0.001: five steps keep false rollbacks under 1 %). */
  alpha?: number;
  /** Canary must be worse than stable by this share of stable's rate (default 0.5)… */
  relativeMargin?: number;
  /** …and by at least this absolute amount (default 0.002 = 0.2 points). */
  absoluteMargin?: number;
}

export const errorRateDefaults = { alpha: 0.001, relativeMargin: 0.5, absoluteMargin: 0.002 };

type Checked = { ok: true; counts: TrackCounts } | { ok: false; why: string };

// Prometheus' increase() extrapolates, so counts arrive as decimals: round
// them, and tolerate an error count a hair above the request count.
function checkCounts(track: string, input: TrackCounts | null): Checked {
  if (!input) return { ok: false, why: `no ${track} data` };
  const requests = count(input.requests);
  const errors = count(input.errors);
  if (requests === null || errors === null) return { ok: false, why: `${track} counts are missing or NaN` };
  const roundedRequests = Math.round(requests);
  const roundedErrors = Math.round(errors);
  if (roundedErrors > roundedRequests * 1.01 + 1) {
    return { ok: false, why: `${track} shows more errors (${roundedErrors}) than requests (${roundedRequests})` };
  }
  return { ok: true, counts: { requests: roundedRequests, errors: Math.min(roundedErrors, roundedRequests) } };
}

const describe = (c: TrackCounts) => `${percent(c.errors / c.requests)} (${c.errors}/${c.requests})`;

export function decideErrorRate(gate: string, input: ErrorRateInput, rule: ErrorRateRule): GateResult {
  const alpha = rule.alpha ?? errorRateDefaults.alpha;
  const relativeMargin = rule.relativeMargin ?? errorRateDefaults.relativeMargin;
  const absoluteMargin = rule.absoluteMargin ?? errorRateDefaults.absoluteMargin;
  const values: GateValues = { max: rule.max ?? null, minRequests: rule.minRequests, alpha };
  const canaryChecked = checkCounts("canary", input.canary);
  if (!canaryChecked.ok) return { gate, result: "inconclusive", why: `${gate}: ${canaryChecked.why}`, values };
  const canary = canaryChecked.counts;
  const canaryRate = canary.requests > 0 ? canary.errors / canary.requests : null;
  Object.assign(values, { canaryRequests: canary.requests, canaryErrors: canary.errors, canaryRate });
  if (canary.requests < rule.minRequests) {
    const why = `${gate}: canary served ${canary.requests} requests, fewer than the ${rule.minRequests} needed to judge`;
    return { gate, result: "inconclusive", why, values };
  }
  const rateC = canary.errors / canary.requests;

  // Stable below minRequests (e.g. at a 100 % step) gives no baseline: only the ceiling can judge.
  const usable = (counts: TrackCounts | null | undefined) => {
    const checked = checkCounts("stable", counts ?? null);
    return checked.ok && checked.counts.requests >= rule.minRequests ? checked.counts : null;
  };
  const current = usable(input.stable);
  const stable = current ?? usable(input.stableBaseline);
  const earlier = stable !== null && current === null;
  const rateS = stable ? stable.errors / stable.requests : null;
  if (stable)
    Object.assign(values, { stableRequests: stable.requests, stableErrors: stable.errors, stableRate: rateS });

  let comparisonP: number | null = null;
  let worseByMargin = false;
  if (stable && rateS !== null) {
    comparisonP = fisherUpperTail(canary.errors, canary.requests, stable.errors, stable.requests);
    worseByMargin = rateC - rateS >= Math.max(relativeMargin * rateS, absoluteMargin);
    values.pValue = comparisonP;
  }
  const stableAboveMax = rule.max !== undefined && rateS !== null && rateS > rule.max;
  const ceilingP = rule.max !== undefined ? binomialUpperTail(canary.errors, canary.requests, rule.max) : null;
  values.ceilingPValue = ceilingP;

  const versus = stable
    ? ` vs stable ${describe(stable)}${earlier ? " (earlier window)" : ""}`
    : " (no stable baseline)";
  const head = `${gate}: canary ${describe(canary)}${versus}`;
  if (comparisonP !== null && comparisonP < alpha && worseByMargin) {
    return { gate, result: "failed", reason: `${head}, ${pValue(comparisonP)}: canary is worse than stable`, values };
  }
  if (ceilingP !== null && ceilingP < alpha && !stableAboveMax) {
    const reason = `${head}: above max ${percent(rule.max!)} with confidence (${pValue(ceilingP)})`;
    return { gate, result: "failed", reason, values };
  }
  if (!stable && ceilingP === null) {
    const why = `${head}: stable served too few requests to compare with and no max is configured`;
    return { gate, result: "inconclusive", why, values };
  }
  const notes: string[] = [];
  if (comparisonP !== null) notes.push(pValue(comparisonP));
  if (stableAboveMax) notes.push(`stable is above max ${percent(rule.max!)} too`);
  return { gate, result: "passed", summary: notes.length ? `${head}, ${notes.join(", ")}` : head, values };
}
