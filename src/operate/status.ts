// What `grayctl status` reports, read in one pass from the cluster: the
// recorded state, the Lease, both Deployments and the router's weight. It
// trusts the objects over the record where they can differ (weights, images,
// pods), so it stays truthful after a killed process (safety invariant 2).
import type { V1Deployment, V1Pod } from "@kubernetes/client-node";
import type { DecisionRecord } from "../analysis/record.ts";
import type { GateResult } from "../analysis/types.ts";
import type { Lease } from "../kube/lease.ts";
import type { LeaseBasis, LeaseInfo } from "../kube/lease-record.ts";
import type { RolloutContext } from "../rollout/context.ts";
import { imageOf } from "../rollout/manifests.ts";
import { names, trackSelector } from "../kube/names.ts";
import { type Step, stepsOf } from "../rollout/plan.ts";
import { whyNotReady } from "../rollout/readiness.ts";
import { explainReadiness, type PodReadiness } from "./readiness.ts";
import { followRecordedPlan } from "../model/follow-plan.ts";
import { IN_FLIGHT, type Phase, type RolloutState } from "../model/state.ts";
import { GUARD_RECORD } from "./guard-objects.ts";
import { splitImage, stableLineage } from "./lineage.ts";

export interface TrackStatus {
  deployment: string;
  exists: boolean;
  image?: string;
  digest?: string;
  desired: number;
  ready: number;
  updated: number;
  available: number;
  /** status --verbose: each pod not ready, and why. */
  notReady?: PodReadiness[];
}

export interface StatusView {
  app: string;
  namespace: string;
  /** "none" when nothing was ever recorded. */
  phase: Phase | "none";
  inFlight: boolean;
  revision?: number;
  image?: string;
  previousImage?: string;
  /** 1-based; undefined before the first step. */
  step?: number;
  steps: number;
  /** The rollout's steps, in order (the list `status` shows with a marker on the current one). */
  stepList: Step[];
  /** The record carries the rollout's plan, which stepList shows (false: an older record, or nothing in flight). */
  planRecorded: boolean;
  /** The weight the router routes by now (undefined without a routing object). */
  canaryWeight?: number;
  recordedWeight?: number;
  targetWeight?: number;
  stable: TrackStatus;
  canary: TrackStatus;
  gates: GateResult[];
  /** Every gate evaluation of the latest release, newest last (bounded); text shows them with --verbose. */
  decisions: DecisionRecord[];
  actor?: string;
  reason?: string;
  /** When the current phase (or step) began, as best the record tells. */
  since?: string;
  sinceSeconds?: number;
  lease?: {
    holder?: string;
    /** The holder's renewTime, by its clock. */
    renewedAt?: string;
    /** Seconds since renewedAt by OUR clock: another machine's clock may be off, so it is shown, never judged. */
    ageSeconds?: number;
    durationSeconds: number;
    /** It may be taken over without --force, judged only from what this process saw (see basis). */
    expired: boolean;
    basis: LeaseBasis;
    /** How long this process has seen the Lease unchanged. */
    unchangedSeconds: number;
  };
  /**
   * In flight, not deliberately stopped, and nobody owns it: the Lease is free,
   * its holder ran on this machine and is gone, or this process watched it
   * unchanged for its whole duration (status --watch). Never from comparing clocks.
   */
  orphaned: boolean;
  /** Orphaned with traffic on the canary: nobody watches what that traffic meets (said loudly). */
  unwatchedCanary: boolean;
  currentRevision?: number;
  /** `grayctl guard` in this namespace (decision 041): its last pass, by its clock; absent when none has passed. */
  guard?: { lastPass: string; agoSeconds: number; onOrphan: string };
}

/** Reads everything in one pass; `lease` remembers what it saw, so repeated reads (--watch) can tell a lapsed Lease. */
export async function readStatus(
  ctx: RolloutContext,
  lease: Lease,
  options: { explainReadiness?: boolean } = {},
): Promise<StatusView> {
  const n = names(ctx.config.app);
  const [stored, leaseInfo, stable, canary, canaryWeight, readiness, guardRecord] = await Promise.all([
    ctx.store.read(),
    lease.read(),
    ctx.cluster.getDeployment(n.stable),
    ctx.cluster.getDeployment(n.canary),
    ctx.router.currentCanaryWeight().catch(() => undefined),
    options.explainReadiness ? readReadiness(ctx) : undefined,
    // Best effort: a Role that cannot read it only loses the guard line.
    ctx.cluster.getConfigMap(GUARD_RECORD).catch(() => undefined),
  ]);
  // The steps of the rollout as it was started, not of the configuration as it is now (decision 025).
  const plan = stepsOf(followRecordedPlan(ctx.config, stored.state, (text) => warnOnce(ctx, text)));
  const lastPass = guardRecord?.data?.lastPass;
  const view = buildStatus({
    app: ctx.config.app,
    namespace: ctx.config.namespace,
    steps: plan,
    planRecorded: Boolean(stored.state?.plan),
    state: stored.state,
    currentRevision: stableLineage(stored.history).at(-1)?.revision,
    lastTime: stored.history.at(-1)?.time,
    lease: leaseInfo,
    stable,
    canary,
    canaryWeight,
    readiness,
    now: ctx.clock.now(),
  });
  if (lastPass && !Number.isNaN(Date.parse(lastPass))) {
    view.guard = {
      lastPass,
      // The guard's clock against ours: shown, never judged.
      agoSeconds: Math.round((ctx.clock.now() - Date.parse(lastPass)) / 1000),
      onOrphan: stored.state?.setup?.onOrphan ?? ctx.config.rollout.onOrphan,
    };
  }
  return view;
}

/** Pods explained per track at most (each may cost a probe through the pod proxy, 2 s at most). */
const EXPLAINED_PER_TRACK = 3;

/** Each track's pods that are not ready, explained; the kubelet's probe Events only where the role may list them. */
async function readReadiness(ctx: RolloutContext): Promise<Record<"stable" | "canary", PodReadiness[]>> {
  const [stable, canary, events] = await Promise.all([
    ctx.cluster.listPods(trackSelector(ctx.config.app, "stable")),
    ctx.cluster.listPods(trackSelector(ctx.config.app, "canary")),
    ctx.cluster.listEvents("involvedObject.kind=Pod,reason=Unhealthy").catch(() => []),
  ]);
  const explain = (pods: V1Pod[]) =>
    Promise.all(
      pods
        .filter((pod) => !explainReadiness(pod, []).ready)
        .slice(0, EXPLAINED_PER_TRACK)
        .map(async (pod) => explainReadiness(pod, events, await probeSays(ctx, pod))),
    );
  const [stableWhy, canaryWhy] = await Promise.all([explain(stable), explain(canary)]);
  return { stable: stableWhy, canary: canaryWhy };
}

/** For a running container that is not ready: what its readiness probe answers now (as the rollout says it). */
async function probeSays(ctx: RolloutContext, pod: V1Pod): Promise<string | undefined> {
  const running = (pod.status?.containerStatuses ?? []).some((s) => s.state?.running && !s.ready);
  if (!running) return undefined;
  const said = await whyNotReady(ctx, pod).catch(() => undefined);
  const prefix = `pod ${pod.metadata?.name} is not ready: `;
  return said?.startsWith(prefix) && said.includes("readiness probe") ? said.slice(prefix.length) : undefined;
}

const warned = new WeakMap<RolloutContext, Set<string>>();

/** `status --watch` reads again and again: a warning about the plan is said once. */
function warnOnce(ctx: RolloutContext, text: string): void {
  const said = warned.get(ctx) ?? new Set<string>();
  warned.set(ctx, said);
  if (said.has(text)) return;
  said.add(text);
  ctx.reporter.warn(text);
}

/** Pure: the view from what was read. */
export function buildStatus(input: {
  app: string;
  namespace: string;
  steps: readonly Step[];
  planRecorded?: boolean;
  state?: RolloutState;
  currentRevision?: number;
  lastTime?: string;
  lease?: LeaseInfo;
  stable?: V1Deployment;
  canary?: V1Deployment;
  canaryWeight?: number;
  readiness?: Record<"stable" | "canary", PodReadiness[]>;
  now: number;
}): StatusView {
  const { state, lease, now } = input;
  const inFlight = Boolean(state && IN_FLIGHT.has(state.phase));
  // Paused and interrupted rollouts were stopped on purpose and hold no Lease.
  const running = inFlight && state?.phase !== "paused" && state?.phase !== "interrupted";
  const since = state ? phaseSince(state, input.lastTime) : undefined;
  const orphaned = running && (!lease || lease.expired);
  return {
    app: input.app,
    namespace: input.namespace,
    phase: state?.phase ?? "none",
    inFlight,
    revision: state?.revision,
    image: state?.image,
    previousImage: state?.previousImage,
    step: state && state.stepIndex >= 0 ? state.stepIndex + 1 : undefined,
    steps: input.steps.length,
    stepList: [...input.steps],
    planRecorded: input.planRecorded ?? false,
    canaryWeight: input.canaryWeight,
    recordedWeight: state?.weight,
    targetWeight: state?.targetWeight,
    stable: track(names(input.app).stable, input.app, input.stable, input.readiness?.stable),
    canary: track(names(input.app).canary, input.app, input.canary, input.readiness?.canary),
    gates: state?.gates ?? [],
    decisions: state?.decisions ?? [],
    actor: state?.actor,
    reason: state?.reason,
    since,
    sinceSeconds: since ? Math.max(0, Math.round((now - new Date(since).getTime()) / 1000)) : undefined,
    lease: lease && {
      holder: lease.holder,
      renewedAt: lease.renewedAt === undefined ? undefined : new Date(lease.renewedAt).toISOString(),
      ageSeconds: lease.renewedAt === undefined ? undefined : Math.round((now - lease.renewedAt) / 1000),
      durationSeconds: Math.round(lease.durationMs / 1000),
      expired: lease.expired,
      basis: lease.basis,
      unchangedSeconds: Math.round(lease.unchangedMs / 1000),
    },
    orphaned,
    unwatchedCanary: orphaned && (input.canaryWeight ?? state?.weight ?? 0) > 0,
    currentRevision: input.currentRevision,
  };
}

function phaseSince(state: RolloutState, lastTime: string | undefined): string {
  if (state.phase === "progressing") return state.stepStartedAt ?? state.startedAt;
  if (state.phase === "deploying") return state.startedAt;
  if (!IN_FLIGHT.has(state.phase)) return lastTime ?? state.updatedAt;
  return state.updatedAt;
}

function track(
  deployment: string,
  app: string,
  d: V1Deployment | undefined,
  notReady: PodReadiness[] | undefined,
): TrackStatus {
  if (!d) return { deployment, exists: false, desired: 0, ready: 0, updated: 0, available: 0 };
  const image = imageOf(d, app);
  return {
    deployment,
    exists: true,
    image,
    digest: splitImage(image).digest,
    desired: d.spec?.replicas ?? 1,
    ready: d.status?.readyReplicas ?? 0,
    updated: d.status?.updatedReplicas ?? 0,
    available: d.status?.availableReplicas ?? 0,
    ...(notReady ? { notReady } : {}),
  };
}
