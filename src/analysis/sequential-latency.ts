// Latency judged with the same anytime-valid machinery as errors, from the
// histogram buckets both providers already read. A "slow" request is one
// above a bucket boundary; a p99 regression is the canary having more than
// its share of slow requests. Fails when EITHER
//  (a) the canary's share of requests slower than `slowerThan` (a bucket
//      boundary: configured, or the smallest one at or above stable's p99 in
//      the looks BEFORE this one — chosen before this look's counts are seen,
//      which keeps the e-process valid) exceeds margin × stable's share; OR
//  (b) more than 1 − quantile (1 %) of the canary's requests are slower than
//      `max` — "p99 ≤ max" as a rate, tested against an anytime-valid ceiling —
//      unless stable is over that ceiling too.
// Bucket noise is then a matter of counts: a p99 from 300 requests is 3
// requests, and the test knows it.

import type { Bucket } from "./histogram.ts";
import { CeilingEProcess, ShareEProcess } from "./e-process.ts";
import { type SequentialRule, sequentialDefaults } from "./sequential.ts";

export interface SequentialLatencyRule extends SequentialRule {
  /** Seconds: the p99 ceiling (a bucket boundary, or the next one above is used). */
  max?: number;
  /** Seconds: a fixed slow boundary for (a); default: stable's p99, rounded up to a bucket. */
  slowerThan?: number;
  /** Default 0.99. */
  quantile?: number;
}

/** All observations: the +Inf bucket's count (null without one). */
export function observations(buckets: Bucket[]): number | null {
  const inf = buckets.find((bucket) => bucket.le === Number.POSITIVE_INFINITY);
  return inf ? inf.count : null;
}

/** Observations above `le` (le must be one of the bucket bounds, else the next bound above is used). */
export function countAbove(buckets: Bucket[], le: number): number | null {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted[sorted.length - 1];
  if (!total || total.le !== Number.POSITIVE_INFINITY) return null;
  const at = sorted.find((bucket) => bucket.le >= le);
  if (!at) return null;
  return Math.max(0, total.count - at.count);
}

/** The smallest finite bound with at least `quantile` of the observations at or below it (null: none). */
export function boundaryAtQuantile(buckets: Bucket[], quantile: number): number | null {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted[sorted.length - 1]?.count ?? 0;
  if (!(total > 0)) return null;
  const found = sorted.find((bucket) => Number.isFinite(bucket.le) && bucket.count >= quantile * total);
  return found ? found.le : null;
}

export interface LatencyLook {
  result: "failed" | "continue" | "inconclusive";
  rejected?: "slower-than-stable" | "above-max";
  why?: string;
  slowerThan: number | null;
  comparisonE: number;
  ceilingE: number | null;
  comparisonLogE: number;
  ceilingLogE: number | null;
  threshold: number;
}

export class SequentialLatencyTest {
  private readonly comparison: ShareEProcess;
  private readonly ceiling: CeilingEProcess | null;
  private readonly threshold: number;
  private readonly logThreshold: number;
  private readonly quantile: number;
  private readonly rule: SequentialLatencyRule;
  /** Stable's buckets summed over the looks so far: where its p99 lies. */
  private stableSoFar: Map<number, number> = new Map();
  private stableOverMax = { requests: 0, slow: 0 };

  constructor(rule: SequentialLatencyRule = {}) {
    const alpha = rule.alpha ?? sequentialDefaults.alpha;
    this.rule = rule;
    this.quantile = rule.quantile ?? 0.99;
    this.threshold = 2 / alpha;
    this.logThreshold = Math.log(this.threshold);
    this.comparison = new ShareEProcess(
      rule.margin ?? sequentialDefaults.margin,
      rule.comparisonPrior ?? sequentialDefaults.comparisonPrior,
    );
    this.ceiling =
      rule.max !== undefined
        ? new CeilingEProcess(1 - this.quantile, rule.ceilingPrior ?? sequentialDefaults.ceilingPrior)
        : null;
  }

  /** One look's bucket counts (deltas over the interval), cumulative by `le` as Prometheus gives them. */
  look(canary: Bucket[], stable: Bucket[]): LatencyLook {
    const canaryTotal = observations(canary);
    const stableTotal = observations(stable);
    if (canaryTotal === null || stableTotal === null) return this.state("inconclusive", null, "no +Inf bucket");
    const slowerThan = this.rule.slowerThan ?? this.stableBoundary();
    if (slowerThan !== null) {
      const canarySlow = countAbove(canary, slowerThan);
      const stableSlow = countAbove(stable, slowerThan);
      if (canarySlow !== null && stableSlow !== null)
        this.comparison.observe(canaryTotal, canarySlow, stableTotal, stableSlow);
    }
    if (this.ceiling && this.rule.max !== undefined) {
      const canaryOver = countAbove(canary, this.rule.max);
      const stableOver = countAbove(stable, this.rule.max);
      if (canaryOver !== null) this.ceiling.observe(canaryTotal, canaryOver);
      if (stableOver !== null) {
        this.stableOverMax.requests += stableTotal;
        this.stableOverMax.slow += stableOver;
      }
    }
    for (const bucket of stable) this.stableSoFar.set(bucket.le, (this.stableSoFar.get(bucket.le) ?? 0) + bucket.count);

    if (this.comparison.logEValue() >= this.logThreshold)
      return this.state("failed", slowerThan, undefined, "slower-than-stable");
    const stableOver =
      this.stableOverMax.requests > 0 && this.stableOverMax.slow / this.stableOverMax.requests > 1 - this.quantile;
    if (this.ceiling && this.ceiling.logEValue() >= this.logThreshold && !stableOver) {
      return this.state("failed", slowerThan, undefined, "above-max");
    }
    return this.state("continue", slowerThan);
  }

  private stableBoundary(): number | null {
    const buckets = [...this.stableSoFar].map(([le, count]) => ({ le, count }));
    return boundaryAtQuantile(buckets, this.quantile);
  }

  private state(
    result: LatencyLook["result"],
    slowerThan: number | null,
    why?: string,
    rejected?: LatencyLook["rejected"],
  ): LatencyLook {
    return {
      result,
      rejected,
      why,
      slowerThan,
      comparisonE: Math.exp(this.comparison.logEValue()),
      ceilingE: this.ceiling ? Math.exp(this.ceiling.logEValue()) : null,
      comparisonLogE: this.comparison.logEValue(),
      ceilingLogE: this.ceiling ? this.ceiling.logEValue() : null,
      threshold: this.threshold,
    };
  }
}
