// Pieces shared by the two providers' gates: which rule a check uses and how
// it is described in the decision record.

import type { MetricCheck } from "./settings.ts";
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
    "anytime-valid e-process over the rollout's looks: canary's share of each interval's 5xx against 1.2 × its share of requests, and its rate against max (α = 1 %, fails at e ≥ 200)",
  "latency-p99":
    "anytime-valid e-process over the rollout's looks: canary's share of requests slower than stable's p99 bucket against 1.2 × stable's, and over 1 % slower than max (α = 1 %, fails at e ≥ 200)",
  custom: "value within min/max",
};

export const windowMs = (ctx: GateContext) => Math.max(1000, ctx.windowEnd.getTime() - ctx.windowStart.getTime());

export function inconclusive(gate: string, why: string): GateResult {
  return { gate, result: "inconclusive", why: why.startsWith(`${gate}:`) ? why : `${gate}: ${why}` };
}
