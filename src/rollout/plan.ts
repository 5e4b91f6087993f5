// Pure decisions of the rollout engine: the steps, what gate results mean, and
// deadlines. No I/O here; unit-tested under a fake clock.
import type { GateResult } from "../analysis/types.ts";
import { parseDuration } from "../config/duration.ts";
import type { Config } from "../config/schema.ts";
import type { RolloutState } from "../model/state.ts";

export interface Step {
  weight: number;
  /** Extra wait after the step passes; "manual" stops until `grayctl promote`. */
  pause?: number | "manual";
}

export function stepsOf(config: Config): Step[] {
  return config.rollout.steps.map((entry) => {
    if (typeof entry === "number") return { weight: entry };
    const pause =
      entry.pause === undefined ? undefined : entry.pause === "manual" ? "manual" : parseDuration(entry.pause);
    return { weight: entry.weight, pause };
  });
}

export function durationsOf(config: Config) {
  return {
    intervalMs: parseDuration(config.rollout.interval) ?? 60_000,
    progressDeadlineMs: parseDuration(config.rollout.progressDeadline) ?? 600_000,
    readyTimeoutMs: parseDuration(config.rollout.readyTimeout) ?? 120_000,
    leaseMs: parseDuration(config.rollout.leaseDuration) ?? 30_000,
    scaleDownDelayMs: parseDuration(config.rollout.scaleDownDelay) ?? 30_000,
    healthzTimeoutMs: parseDuration(config.analysis.healthz.timeout) ?? 2_000,
    evaluateEveryMs: parseDuration(config.analysis.evaluateEvery) ?? 10_000,
  };
}

export type Verdict =
  | { verdict: "pass"; results: GateResult[] }
  | { verdict: "fail"; results: GateResult[]; reason: string }
  | { verdict: "wait"; results: GateResult[]; why: string; inconclusive: Record<string, number> };

/**
 * A step passes only when every gate passed. Any failure fails it, and the
 * reason names every gate that failed in this look, not only the first. An
 * inconclusive gate extends the step by another window, up to `limit`
 * consecutive windows, then fails safe: no data is never a pass.
 */
export function judge(results: GateResult[], previous: Record<string, number>, limit: number): Verdict {
  const failed = results.flatMap((r) => (r.result === "failed" ? [r] : []));
  if (failed.length > 0) {
    const reason = failed.map((f) => `${named(f.gate, f.reason)}${f.pod ? ` (pod ${f.pod})` : ""}`).join("; ");
    return { verdict: "fail", results, reason };
  }
  const unsure = results.filter((r) => r.result === "inconclusive");
  if (unsure.length === 0) return { verdict: "pass", results };
  const inconclusive: Record<string, number> = {};
  for (const result of unsure) {
    inconclusive[result.gate] = (previous[result.gate] ?? 0) + 1;
    if (inconclusive[result.gate] > limit) {
      const why = result.result === "inconclusive" ? result.why : "";
      return {
        verdict: "fail",
        results,
        reason: `${result.gate}: inconclusive for ${inconclusive[result.gate]} windows in a row (${why}); failing safe`,
      };
    }
  }
  const why = unsure.map((r) => named(r.gate, r.result === "inconclusive" ? r.why : "")).join("; ");
  return { verdict: "wait", results, why, inconclusive };
}

/** Metric gates already start their texts with the gate's name; do not say it twice. */
function named(gate: string, text: string): string {
  return text.startsWith(`${gate}:`) ? text : `${gate}: ${text}`;
}

/** The canary's share as recorded: the weight applied, or the one being applied when a process stopped mid-write. */
export function canaryWeightOf(state: Pick<RolloutState, "weight" | "targetWeight">): number {
  return Math.max(state.weight, state.targetWeight);
}

/** A step that would take traffic from the canary: only a rollback may (safety invariant 8). */
export function isBackwards(stepWeight: number, state: Pick<RolloutState, "weight" | "targetWeight">): boolean {
  return stepWeight < canaryWeightOf(state);
}

/** Milliseconds of the progress deadline left, counting time earlier processes spent. */
export function deadlineLeft(
  progressDeadlineMs: number,
  activeMsBefore: number,
  runStartedAt: number,
  now: number,
): number {
  return progressDeadlineMs - activeMsBefore - (now - runStartedAt);
}
