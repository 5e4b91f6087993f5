// Routers apply weights a moment after the write: ingress-nginx on its next
// sync, Envoy when the new route configuration reaches each proxy. A track
// whose traffic a router write just took away may still be sent requests for
// those moments, so its pods stay for rollout.scaleDownDelay before they go
// (decision 016). The wait is the Clock's, so the run's signal interrupts it;
// what follows is an ordinary fenced write, so a process that lost the rollout
// during the wait writes nothing. The record already says where traffic is, so
// a run interrupted here leaves a rollback or rollout that finishes the job.
import { formatDuration } from "../config/duration.ts";
import { names, type Track, trackSelector } from "../kube/names.ts";
import type { RolloutContext } from "./context.ts";
import { durationsOf } from "./plan.ts";
import { summarizeTrack } from "../model/pods.ts";
import { removeCanaryAutoscaler } from "./track-sizes.ts";

/**
 * Waits rollout.scaleDownDelay after a router write took traffic from `track`,
 * before `what` removes its pods. No wait for the replicas router (its split is
 * the pods themselves) nor for a track without ready pods (nothing could still
 * be routed to it).
 */
export async function afterTrafficLeft(ctx: RolloutContext, track: Track, what: string): Promise<void> {
  const { scaleDownDelayMs } = durationsOf(ctx.config);
  if (ctx.router.name === "replicas" || scaleDownDelayMs <= 0) return;
  const pods = summarizeTrack(await ctx.cluster.listPods(trackSelector(ctx.config.app, track)));
  if (pods.ready === 0) return;
  ctx.reporter.info(
    `waiting ${formatDuration(scaleDownDelayMs)} (rollout.scaleDownDelay) for the router to apply the new weights before ${what}`,
  );
  await ctx.clock.sleep(scaleDownDelayMs, ctx.signal);
}

/** The canary to 0 once the router has had time to stop sending it requests; its autoscaler goes first. */
export async function scaleCanaryDown(ctx: RolloutContext): Promise<number> {
  const name = names(ctx.config.app).canary;
  const canary = await ctx.cluster.getDeployment(name);
  const replicas = canary?.spec?.replicas ?? 0;
  if (replicas > 0) await afterTrafficLeft(ctx, "canary", "scaling the canary down");
  await removeCanaryAutoscaler(ctx);
  if (replicas > 0) await ctx.cluster.scaleDeployment(name, 0);
  return replicas;
}
