// Decision rules for latency-p99 and for custom single-value checks.
//
// latency-p99: the canary fails when its p99 is above `max` (unless stable's
// p99 is above `max` too — then rolling back would not help and only the
// comparison judges), or when it is `ratio` times stable's p99 AND slower by
// at least `absoluteMargin` seconds (histogram buckets make small p99s
// coarse; a few milliseconds of difference is bucket noise, not a regression).
// A p99 from fewer than `minSamples` requests is mostly the slowest request,
// so below that the gate is inconclusive.

import { count, seconds } from "./format.ts";
import type { GateResult, GateValues } from "./types.ts";

export interface LatencySample {
  /** Seconds; null or NaN when the window had no observations. */
  p99: number | null;
  /** Observations in the window. */
  count: number | null;
}

export interface LatencyRule {
  max?: number;
  minSamples: number;
  ratio?: number;
  absoluteMargin?: number;
}

export const latencyDefaults = { ratio: 1.5, absoluteMargin: 0.05 };

export function decideLatency(
  gate: string,
  input: { canary: LatencySample | null; stable: LatencySample | null },
  rule: LatencyRule,
): GateResult {
  const ratio = rule.ratio ?? latencyDefaults.ratio;
  const absoluteMargin = rule.absoluteMargin ?? latencyDefaults.absoluteMargin;
  const values: GateValues = { max: rule.max ?? null, minSamples: rule.minSamples, ratio };
  const canaryCount = count(input.canary?.count);
  const canaryP99 = input.canary?.p99 ?? null;
  values.canaryCount = canaryCount;
  if (canaryCount === null) return { gate, result: "inconclusive", why: `${gate}: no canary request count`, values };
  if (canaryCount < rule.minSamples) {
    const why = `${gate}: canary served ${Math.round(canaryCount)} requests, fewer than the ${rule.minSamples} needed for a p99`;
    return { gate, result: "inconclusive", why, values };
  }
  if (canaryP99 === null || !Number.isFinite(canaryP99) || canaryP99 < 0) {
    return { gate, result: "inconclusive", why: `${gate}: canary p99 is missing or NaN`, values };
  }
  values.canaryP99 = canaryP99;
  const stableCount = count(input.stable?.count);
  const stableP99Raw = input.stable?.p99 ?? null;
  const stableP99 =
    stableCount !== null && stableCount >= rule.minSamples && stableP99Raw !== null && Number.isFinite(stableP99Raw)
      ? stableP99Raw
      : null;
  values.stableP99 = stableP99;
  values.stableCount = stableCount;

  const versus = stableP99 !== null ? ` vs stable ${seconds(stableP99)}` : " (no stable baseline)";
  const head = `${gate}: canary ${seconds(canaryP99)}${versus} over ${Math.round(canaryCount)} requests`;
  const stableAboveMax = rule.max !== undefined && stableP99 !== null && stableP99 > rule.max;
  if (rule.max !== undefined && canaryP99 > rule.max && !stableAboveMax) {
    return { gate, result: "failed", reason: `${head}: above max ${seconds(rule.max)}`, values };
  }
  if (stableP99 !== null && canaryP99 > stableP99 * ratio && canaryP99 - stableP99 >= absoluteMargin) {
    return { gate, result: "failed", reason: `${head}: more than ${ratio}× stable`, values };
  }
  if (stableP99 === null && rule.max === undefined) {
    const why = `${head}: stable served too few requests to compare with and no max is configured`;
    return { gate, result: "inconclusive", why, values };
  }
  const note = stableAboveMax ? `, stable is above max ${seconds(rule.max!)} too` : "";
  return { gate, result: "passed", summary: `${head}${note}`, values };
}

/** A custom query's single value against optional bounds. */
export function decideThreshold(
  gate: string,
  value: number | null,
  bounds: { min?: number; max?: number },
  detail = "",
): GateResult {
  const values: GateValues = { value, min: bounds.min ?? null, max: bounds.max ?? null };
  const suffix = detail ? ` ${detail}` : "";
  if (value === null || Number.isNaN(value)) {
    return { gate, result: "inconclusive", why: `${gate}: no value${suffix}`, values };
  }
  if (bounds.max !== undefined && value > bounds.max) {
    return { gate, result: "failed", reason: `${gate}: ${value} is above max ${bounds.max}${suffix}`, values };
  }
  if (bounds.min !== undefined && value < bounds.min) {
    return { gate, result: "failed", reason: `${gate}: ${value} is below min ${bounds.min}${suffix}`, values };
  }
  return { gate, result: "passed", summary: `${gate}: ${value} within bounds${suffix}`, values };
}
