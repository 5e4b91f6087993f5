// Whether stable can take the traffic a rollback sends it, and whether its
// rollout back to an earlier image is getting anywhere (decision 019). A
// rollback never routes onto a stable with no ready pod: it brings stable up
// first (recreates a deleted Deployment, scales one left at 0) or stops and
// says so. And it stops waiting as soon as stable cannot make progress (an
// image that cannot be pulled, the Deployment's own progress deadline), so
// nothing is recorded as rolled back while the old pods still serve.
import type { V1Deployment, V1Pod } from "@kubernetes/client-node";
import { ExitCode, GrayctlError } from "../errors.ts";
import { names, trackSelector } from "../kube/names.ts";
import type { RolloutContext } from "./context.ts";
import { rolloutStatus } from "./deployments.ts";
import { stableDeployment } from "./manifests.ts";
import { durationsOf } from "./plan.ts";
import { summarizeTrack } from "../model/pods.ts";
import { loadTemplate } from "./templates.ts";
import { DeadlineError, waitUntil } from "./wait.ts";

const PULL_FAILURES = new Set(["ErrImagePull", "ImagePullBackOff", "InvalidImageName"]);

export type StableCheck = { ok: true; broughtUp?: string } | { ok: false; reason: string };

/**
 * Makes sure stable has a ready pod before traffic moves onto it. `image` is
 * what stable should run when it has to be recreated (unknown: it is not).
 * One read when stable is ready, which is nearly always.
 */
export async function ensureStableCarries(
  ctx: RolloutContext,
  image: string | undefined,
  deadline: number,
): Promise<StableCheck> {
  const { app, namespace } = ctx.config;
  const name = names(app).stable;
  const stable = await ctx.cluster.getDeployment(name);
  if (stable && (stable.status?.readyReplicas ?? 0) > 0) return { ok: true };
  let broughtUp: string | undefined;
  if (!stable) {
    if (!image)
      return {
        ok: false,
        reason: `Deployment ${name} in namespace ${namespace} does not exist and no image is recorded to recreate it with`,
      };
    broughtUp = `recreated Deployment ${name} with ${image}`;
    ctx.reporter.warn(`Deployment ${name} does not exist: recreating it with ${image} before moving traffic to it`);
    await ctx.cluster.createDeployment(stableDeployment(ctx.config, image, await loadTemplate(ctx)));
  } else if ((stable.spec?.replicas ?? 1) === 0) {
    const replicas = ctx.config.deployment.replicas;
    broughtUp = `scaled Deployment ${name} from 0 to ${replicas}`;
    ctx.reporter.warn(`Deployment ${name} is scaled to 0: scaling it to ${replicas} before moving traffic to it`);
    await ctx.cluster.scaleDeployment(name, replicas);
  } else {
    ctx.reporter.warn(`Deployment ${name} has no ready pod: waiting for one before moving traffic to it`);
  }
  const until = Math.min(deadline, ctx.clock.now() + durationsOf(ctx.config).readyTimeoutMs);
  try {
    const ready = await waitUntil(
      async () => {
        const track = summarizeTrack(await ctx.cluster.listPods(trackSelector(app, "stable")));
        if (track.ready > 0) return { done: true as const, value: undefined };
        const failing = track.pods.find((pod) => !pod.terminating && pod.problem);
        if (failing && PULL_FAILURES.has(failing.problem ?? ""))
          return { fail: `pod ${failing.name} is ${failing.problem}` };
        return {
          done: false as const,
          status: failing ? `pod ${failing.name} is ${failing.problem}` : `${track.live} pod(s), none ready`,
        };
      },
      {
        clock: ctx.clock,
        deadline: until,
        what: `a ready pod of Deployment ${name}`,
        intervalMs: 250,
        signal: ctx.signal,
      },
    );
    if (!ready.ok) return { ok: false, reason: `Deployment ${name} has no ready pod: ${ready.reason}` };
  } catch (error) {
    if (!(error instanceof DeadlineError)) throw error;
    return { ok: false, reason: `Deployment ${name} has no ready pod: ${error.message}` };
  }
  return { ok: true, broughtUp };
}

/**
 * The route write to 100 % stable, sent only when stable has a ready pod: its
 * Deployment is read beside the router's own read, so the write goes out as
 * soon as it would have (a rollout's rollback after a failed gate, a deadline
 * or Ctrl-C). False, with nothing written, when stable has none.
 */
export async function routeOntoReadyStable(ctx: RolloutContext): Promise<boolean> {
  const stable = ctx.cluster.getDeployment(names(ctx.config.app).stable).then(
    (deployment) => (deployment?.status?.readyReplicas ?? 0) > 0,
    // Unknown: the safe-direction write is not held back by a read that failed.
    () => true,
  );
  let unready = false;
  const previous = ctx.cluster.beforeWrites;
  ctx.cluster.beforeWrites = async () => {
    await previous?.();
    if (await stable) return;
    unready = true;
    throw new Error("stable has no ready pod");
  };
  try {
    await ctx.router.setCanaryWeight(0);
    return true;
  } catch (error) {
    if (unready) return false;
    throw error;
  } finally {
    ctx.cluster.beforeWrites = previous;
  }
}

/**
 * Waits until stable has rolled out to `image`, and gives up at once when it
 * cannot: a pod of the new ReplicaSet cannot pull its image, or the
 * Deployment reports ProgressDeadlineExceeded.
 */
export async function waitStableRolledOut(
  ctx: RolloutContext,
  image: string,
  deadline: number,
): Promise<{ ok: true } | { ok: false; reason: string; stuck: boolean }> {
  const name = names(ctx.config.app).stable;
  try {
    const result = await waitUntil(
      async () => {
        const deployment = await ctx.cluster.getDeployment(name);
        if (!deployment) return { fail: `Deployment ${name} disappeared` };
        const { done, status } = rolloutStatus(deployment);
        if (done) return { done: true as const, value: undefined };
        const stuck = stuckReason(
          deployment,
          await ctx.cluster.listPods(trackSelector(ctx.config.app, "stable")),
          image,
        );
        return stuck ? { fail: stuck } : { done: false as const, status };
      },
      { clock: ctx.clock, deadline, what: `Deployment ${name} to roll out`, intervalMs: 250, signal: ctx.signal },
    );
    return result.ok ? { ok: true } : { ok: false, reason: result.reason, stuck: true };
  } catch (error) {
    if (!(error instanceof DeadlineError)) throw error;
    return { ok: false, reason: error.message, stuck: false };
  }
}

/** Pure: why stable's rollout to `image` cannot finish, or undefined while it still may. */
export function stuckReason(deployment: V1Deployment, pods: V1Pod[], image: string): string | undefined {
  for (const pod of pods) {
    // The pod's spec names the image: a runtime may report a waiting container's image normalised.
    if (pod.metadata?.deletionTimestamp || !pod.spec?.containers.some((c) => c.image === image)) continue;
    for (const status of pod.status?.containerStatuses ?? []) {
      const waiting = status.state?.waiting;
      if (waiting?.reason && PULL_FAILURES.has(waiting.reason))
        return `pod ${pod.metadata?.name} cannot pull ${image}: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ""}`;
    }
  }
  // A condition from before the controller saw the new image says nothing about it.
  if ((deployment.status?.observedGeneration ?? 0) < (deployment.metadata?.generation ?? 0)) return undefined;
  const progressing = deployment.status?.conditions?.find((c) => c.type === "Progressing");
  if (progressing?.status === "False" && progressing.reason === "ProgressDeadlineExceeded")
    return `Deployment ${deployment.metadata?.name} exceeded its progress deadline (${progressing.message ?? "no message"})`;
  return undefined;
}

/** Stable has no ready pod and could not be brought up: traffic was left where it was. Exit 6. */
export function stableCannotCarry(ctx: RolloutContext, reason: string): GrayctlError {
  const { app, namespace } = ctx.config;
  return new GrayctlError(
    `did not move traffic to stable, which cannot carry it: ${reason}; the canary keeps its traffic`,
    {
      exitCode: ExitCode.timeout,
      hint: `Bring stable up (\`kubectl -n ${namespace} describe deployment ${app}\`; \`grayctl history\` lists the images it ran), then run \`grayctl rollback\` again. To take the canary's traffic away regardless, \`kubectl -n ${namespace} scale deployment ${app}-canary --replicas=0\`.`,
    },
  );
}
