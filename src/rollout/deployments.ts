// Waiting on Deployments the way `kubectl rollout status` does, and keeping
// the canary Deployment in shape.
import type { V1Deployment, V1PodTemplateSpec } from "@kubernetes/client-node";
import type { Progress } from "../output/types.ts";
import type { RolloutContext } from "./context.ts";
import { canaryDeployment, IMAGE_ANNOTATION, mainContainer, TEMPLATE_ANNOTATION, templateHash } from "./manifests.ts";
import { names, type Track, trackSelector } from "../kube/names.ts";
import { failFastReason, summarizePod, summarizeTrack } from "../model/pods.ts";
import { PodWatch } from "./pod-watch.ts";
import { whyNotReady } from "./readiness.ts";
import { DeadlineError, waitUntil } from "./wait.ts";

/** kubectl's rule: the controller saw the spec, and every replica is updated and available. */
export function rolloutStatus(d: V1Deployment): { done: boolean; status: string } {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  if ((s.observedGeneration ?? 0) < (d.metadata?.generation ?? 0))
    return { done: false, status: "waiting for the controller" };
  const updated = s.updatedReplicas ?? 0;
  const available = s.availableReplicas ?? 0;
  const total = s.replicas ?? 0;
  const status = `${updated}/${want} updated, ${available} available, ${total} total`;
  return { done: updated >= want && total <= updated && available >= want, status };
}

export async function waitRolledOut(
  ctx: RolloutContext,
  name: string,
  deadline: number,
  /** Show the pods coming up (the first deploy): a progress line titled so, and their trouble at once. */
  shown?: { title: string; track: Track },
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const watch = shown && new PodWatch(ctx, `${shown.title}: waiting for Deployment ${name} to roll out`);
  try {
    const result = await waitUntil(
      async () => {
        const d = await ctx.cluster.getDeployment(name);
        if (!d) return { fail: `Deployment ${name} disappeared` };
        const { done, status } = rolloutStatus(d);
        if (done) return { done: true as const, value: undefined };
        if (watch && shown)
          watch.saw(summarizeTrack(await ctx.cluster.listPods(trackSelector(ctx.config.app, shown.track))), status);
        return { done: false as const, status };
      },
      { clock: ctx.clock, deadline, what: `Deployment ${name} to roll out`, intervalMs: 250, signal: ctx.signal },
    );
    if (result.ok) watch?.done(`${shown?.title}: Deployment ${name} rolled out`);
    else watch?.failed();
    return result.ok ? { ok: true } : result;
  } catch (error) {
    watch?.failed();
    throw error;
  }
}

/**
 * Waits until `count` canary pods are ready; fails fast on crash loops, pull
 * errors and restarts. While it waits, a progress line says `title` and how many
 * pods are ready, and a pod the scheduler cannot place is a warning at once.
 */
export async function waitCanaryReady(
  ctx: RolloutContext,
  count: number,
  deadline: number,
  title = "canary",
  /** The caller's line to show the wait on (a step's); else one of its own. */
  line?: Progress,
) {
  const waiting = `waiting for ${count} ready canary pod${count === 1 ? "" : "s"}`;
  const watch = new PodWatch(ctx, line ? title : `${title}: ${waiting}`, line);
  try {
    const result = await waitCanary(ctx, count, deadline, watch);
    if (result.ok) watch.done(`${title}: ${count}/${count} canary pod${count === 1 ? "" : "s"} ready`);
    else watch.failed();
    return result;
  } catch (error) {
    // Not ready in time is a failed step (rolled back), not a crash of grayctl.
    if (!(error instanceof DeadlineError)) {
      watch.failed();
      throw error;
    }
    watch.failed();
    return { ok: false as const, reason: await explainNotReady(ctx, count) };
  }
}

/** Names an unready canary pod and what its own readiness probe says, for the rollback reason. */
async function explainNotReady(ctx: RolloutContext, count: number): Promise<string> {
  const pods = (await ctx.cluster.listPods(trackSelector(ctx.config.app, "canary"))).filter(
    (pod) => !pod.metadata?.deletionTimestamp,
  );
  const track = summarizeTrack(pods);
  const base = `${track.ready}/${count} canary pods ready in time`;
  const unready = pods.find((pod) => !summarizePod(pod).ready);
  return unready ? `${base}: ${await whyNotReady(ctx, unready)}` : base;
}

function waitCanary(ctx: RolloutContext, count: number, deadline: number, watch: PodWatch) {
  return waitUntil(
    async () => {
      const track = summarizeTrack(await ctx.cluster.listPods(trackSelector(ctx.config.app, "canary")));
      const fast = failFastReason(track);
      if (fast) return { fail: fast };
      if (track.ready >= count) return { done: true as const, value: track };
      const status = `${track.ready}/${count} canary pods ready`;
      watch.saw(track, status);
      return { done: false as const, status };
    },
    { clock: ctx.clock, deadline, what: `${count} ready canary pod(s)`, intervalMs: 250, signal: ctx.signal },
  );
}

/** Creates the canary from stable's spec with `template` and the new image, or brings an existing one in line. */
export async function ensureCanary(
  ctx: RolloutContext,
  stable: V1Deployment,
  image: string,
  replicas: number,
  template?: V1PodTemplateSpec,
): Promise<void> {
  const { app } = ctx.config;
  const wanted = canaryDeployment(stable, app, image, replicas, template);
  const existing = await ctx.cluster.getDeployment(names(app).canary);
  if (!existing) {
    await ctx.cluster.createDeployment(wanted);
    return;
  }
  await ctx.cluster.updateDeployment(names(app).canary, (current) => {
    const same =
      mainContainer(current, app).image === image &&
      JSON.stringify(current.spec?.template) === JSON.stringify(wanted.spec?.template) &&
      current.spec?.replicas === replicas;
    if (same) return undefined;
    current.spec = { ...wanted.spec!, selector: current.spec!.selector };
    current.metadata = {
      ...current.metadata,
      annotations: { ...current.metadata?.annotations, [IMAGE_ANNOTATION]: image },
    };
    return current;
  });
}

/** What stable should run: an image, and (from records that have it) the whole pod template. */
export interface StableRelease {
  image: string;
  template?: V1PodTemplateSpec;
}

/**
 * Gives stable `release` — its whole pod template when known, else only the
 * image (records older than templates) — and, when given, a replica count (never
 * for a Deployment an autoscaler scales), in one conditional write; no write
 * when it already matches.
 */
export async function setStable(
  ctx: RolloutContext,
  release: StableRelease,
  replicas?: number,
): Promise<{ changed: boolean; deployment: V1Deployment }> {
  const { app } = ctx.config;
  const { image, template } = release;
  let changed = false;
  const deployment = await ctx.cluster.updateDeployment(names(app).stable, (current) => {
    const annotations = current.metadata?.annotations ?? {};
    // A template read from the cluster (the previous one, restored) matches as read; one built from the
    // manifest matches by the hash written with it (the API server fills in defaults, so never as read).
    const sameTemplate =
      !template ||
      annotations[TEMPLATE_ANNOTATION] === templateHash(template) ||
      JSON.stringify(current.spec?.template) === JSON.stringify(template);
    const sameReplicas = replicas === undefined || current.spec?.replicas === replicas;
    if (mainContainer(current, app).image === image && sameTemplate && sameReplicas) return undefined;
    if (template) {
      const labels = current.spec?.template?.metadata?.labels;
      current.spec!.template = structuredClone(template);
      // The selector is immutable: keep the labels it matches whatever the template says.
      current.spec!.template.metadata = {
        ...current.spec!.template.metadata,
        labels: { ...current.spec!.template.metadata?.labels, ...labels },
      };
    }
    mainContainer(current, app).image = image;
    if (replicas !== undefined) current.spec!.replicas = replicas;
    current.metadata = {
      ...current.metadata,
      annotations: {
        ...annotations,
        [IMAGE_ANNOTATION]: image,
        ...(template ? { [TEMPLATE_ANNOTATION]: templateHash(template) } : {}),
      },
    };
    changed = true;
    return current;
  });
  return { changed, deployment };
}
