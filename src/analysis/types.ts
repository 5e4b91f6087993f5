// Gates judge a canary step. Outcomes are values, not exceptions: a gate that
// cannot decide (no data, NaN, too few requests) says "inconclusive" and the
// rollout engine waits and eventually fails safe; it never counts as a pass.

export interface PodRef {
  name: string;
  namespace: string;
  track: "stable" | "canary";
  /** Container port serving /healthz and /metrics. */
  port: number;
}

export interface GateContext {
  app: string;
  namespace: string;
  /** Index into rollout.steps and the canary's traffic weight (0..100) during the window. */
  step: number;
  weight: number;
  windowStart: Date;
  windowEnd: Date;
  /**
   * false: a look inside the window (every analysis.evaluateEvery); metric
   * gates judge the counts since their previous look and only a conclusive
   * failure counts. true or absent: the window's end, where a step may pass.
   */
  final?: boolean;
  canaryPods: PodRef[];
  stablePods: PodRef[];
  /** The canary's image (by digest), for command and web gates. */
  image?: string;
  signal?: AbortSignal;
}

// The results are part of the recorded state (model/), so their types live there.
import type { GateResult } from "../model/gate-result.ts";

export type { GateResult, GateSource, GateValues } from "../model/gate-result.ts";

export interface Gate {
  readonly name: string;
  /** Looks during the window too (metric gates); command and web gates judge at its end only. */
  readonly continuous?: boolean;
  /** Called when a step's window opens (the pods provider snapshots counters here). */
  begin?(ctx: GateContext): Promise<void>;
  evaluate(ctx: GateContext): Promise<GateResult>;
}
