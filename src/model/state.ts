// The rollout state and release history recorded in the cluster (a ConfigMap
// per app). Written before acting (intent first), so a killed process leaves a
// record that `status` reports truthfully and that a re-run finishes from.
import type { V1PodTemplateSpec } from "@kubernetes/client-node";
import type { DecisionRecord } from "./decision-record.ts";
import type { GateResult } from "./gate-result.ts";
import type { RecordedPlan } from "./plan.ts";
import type { RecordedSetup } from "./setup.ts";

export type Phase =
  | "deploying" // first deploy straight to stable
  | "progressing" // canary steps under way
  | "paused" // waiting for `grayctl promote`
  | "promoting"
  | "rolling-back"
  | "deployed" // terminal: first deploy done
  | "promoted" // terminal
  | "rolled-back" // terminal
  | "interrupted"; // cancelled with onInterrupt: leave; resumable

export const IN_FLIGHT: ReadonlySet<Phase> = new Set([
  "deploying",
  "progressing",
  "paused",
  "promoting",
  "rolling-back",
  "interrupted",
]);

export interface RolloutState {
  phase: Phase;
  /** Release number of the rollout in flight (or the last one). */
  revision: number;
  /** The image being rolled out (by digest). */
  image: string;
  /** What stable ran when this rollout started. */
  previousImage?: string;
  commit?: string;
  /** Index into rollout.steps of the current step; -1 before the first. */
  stepIndex: number;
  /** Canary weight last applied to the router. */
  weight: number;
  /** Canary weight being applied (intent, written before the router write). */
  targetWeight: number;
  startedAt: string;
  updatedAt: string;
  stepStartedAt?: string;
  actor: string;
  /** The process that owns the rollout; a process whose id is no longer here must stop writing. */
  owner: string;
  reason?: string;
  gates: GateResult[];
  /** Every gate evaluation of this rollout, newest last, bounded (analysis/record.ts). */
  decisions?: DecisionRecord[];
  inconclusive: Record<string, number>;
  /** Time spent progressing by earlier processes (for progressDeadline across resumes). */
  activeMs: number;
  /** Stable's replicas when the rollout started: the canary is sized from at least this (decision 015). */
  stableReplicas?: number;
  /** The pod template being rolled out (the current manifest with the new image); absent in older records. */
  template?: V1PodTemplateSpec;
  /** What this rollout follows, resolved when it started (model/plan.ts); absent in records of an older grayctl. */
  plan?: RecordedPlan;
  /** What a guard needs to act without grayctl.yaml (model/setup.ts, decision 041); absent in older records. */
  setup?: RecordedSetup;
  /** Stable's pod template when the rollout started, restored by a rollback of an interrupted promotion. */
  previousTemplate?: V1PodTemplateSpec;
  /** What this release changes against what stable ran (decision 031); absent in older records. */
  changes?: ReleaseChanges;
  /** Keyed digests of the ConfigMaps and Secrets the template refers to (never their content). */
  configDigests?: Record<string, string>;
}

/** What a release changed: the image, template field paths, referenced ConfigMaps and Secrets (by name only). */
export interface ReleaseChanges {
  image?: { from?: string; to: string };
  /** e.g. `spec.containers[app].env.LOG_LEVEL`, `spec.containers[app].resources`. */
  template?: string[];
  /** e.g. `ConfigMap/app-config`; never content. */
  objects?: string[];
}

export type ReleaseOutcome = "deployed" | "promoted" | "rolled-back";

export interface Release {
  revision: number;
  image: string;
  previousImage?: string;
  commit?: string;
  actor: string;
  time: string;
  outcome: ReleaseOutcome;
  reason?: string;
  /** Set on rollback entries: which revision stable went back to. */
  restoredRevision?: number;
  /** The release's whole pod template, so a rollback to it restores env, probes and resources too. Absent in older entries. */
  template?: V1PodTemplateSpec;
  /** What the release changed (decision 031); absent in older entries. */
  changes?: ReleaseChanges;
  /** Keyed digests of the objects its template referred to, to name what the next release changes. */
  configDigests?: Record<string, string>;
}

export interface StoredState {
  state?: RolloutState;
  history: Release[];
  resourceVersion?: string;
}

/** The release stable runs now: the newest deployed/promoted entry not undone since. */
export function currentRelease(history: readonly Release[]): Release | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const entry = history[i];
    if (entry.outcome === "deployed" || entry.outcome === "promoted") return entry;
    if (entry.outcome === "rolled-back" && entry.restoredRevision !== undefined) {
      return history.find((h) => h.revision === entry.restoredRevision);
    }
  }
  return undefined;
}

export function nextRevision(history: readonly Release[], state?: RolloutState): number {
  const highest = Math.max(0, state?.revision ?? 0, ...history.map((h) => h.revision));
  return highest + 1;
}

/** The history entry for a rollout that ended (or a rollback of it). */
export function releaseOf(
  state: Pick<
    RolloutState,
    "revision" | "image" | "previousImage" | "commit" | "template" | "changes" | "configDigests"
  >,
  who: { actor: string; time: string },
  outcome: ReleaseOutcome,
  extra: Pick<Release, "reason" | "restoredRevision"> = {},
): Release {
  return {
    revision: state.revision,
    image: state.image,
    previousImage: state.previousImage,
    commit: state.commit,
    actor: who.actor,
    time: who.time,
    outcome,
    ...(state.template ? { template: state.template } : {}),
    ...(state.changes ? { changes: state.changes } : {}),
    ...(state.configDigests ? { configDigests: state.configDigests } : {}),
    ...extra,
  };
}

/** Entries older than this many keep no template: the history stays far below the ConfigMap's 1 MiB. */
export const TEMPLATES_KEPT = 10;

export function trimTemplates(history: Release[]): Release[] {
  return history.map((entry, index) => {
    if (index >= history.length - TEMPLATES_KEPT || !entry.template) return entry;
    const { template: _dropped, ...rest } = entry;
    return rest;
  });
}

/** A state record with nothing done yet: no step, no weight, no gate results. */
export function freshState(
  fields: Pick<RolloutState, "phase" | "revision" | "image" | "actor" | "owner"> & Partial<RolloutState>,
  now: string,
): RolloutState {
  return {
    stepIndex: -1,
    weight: 0,
    targetWeight: 0,
    startedAt: now,
    updatedAt: now,
    gates: [],
    inconclusive: {},
    activeMs: 0,
    ...fields,
  };
}
