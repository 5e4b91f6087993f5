// Pieces shared by the two providers' gates: which rule a check uses, and the
// stable baseline remembered across windows for steps with no stable traffic.

import type { TrackCounts } from "./decision.ts";
import type { MetricCheck, MetricsSettings } from "./settings.ts";
import type { GateContext, GateResult } from "./types.ts";

export type CheckKind = "error-rate" | "latency-p99" | "custom";

export function kindOf(check: MetricCheck): CheckKind {
  if (check.name === "error-rate" && !check.query) return "error-rate";
  if (check.name === "latency-p99" && !check.query) return "latency-p99";
  return "custom";
}

/** How each kind of check judges, in words, for the decision record. */
export const STATISTIC: Record<CheckKind, string> = {
  "error-rate":
    "one-sided Fisher exact test against stable (p < alpha and worse by max(50 %, 0.2 points)), exact binomial test above max",
  "latency-p99": "p99 above max, or above 1.5 × stable's p99 and at least 50 ms slower",
  custom: "value within min/max",
};

export const windowMs = (ctx: GateContext) => Math.max(1000, ctx.windowEnd.getTime() - ctx.windowStart.getTime());

export function inconclusive(gate: string, why: string): GateResult {
  return { gate, result: "inconclusive", why: why.startsWith(`${gate}:`) ? why : `${gate}: ${why}` };
}

/**
 * Stable's latest window with enough requests, per app. Gates are created per
 * rollout, so the memory never crosses rollouts. Used at a 100 % step, where
 * stable serves nothing and the rule would otherwise lose its comparison.
 */
export function stableMemory(settings: MetricsSettings) {
  const latest = new Map<string, TrackCounts>();
  const key = (ctx: GateContext) => `${ctx.namespace}/${ctx.app}`;
  return {
    remember(ctx: GateContext, stable: TrackCounts | null) {
      if (stable && Number.isFinite(stable.requests) && stable.requests >= settings.minRequests) {
        latest.set(key(ctx), stable);
      }
    },
    recall: (ctx: GateContext) => latest.get(key(ctx)) ?? null,
  };
}
