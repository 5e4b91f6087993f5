// The three procedures that change what serves traffic, each in the order the
// safety invariants require, each safe to run again after a crash:
//   rollback: one router write to 100 % stable, then the intent, the canary to 0
//             (after rollout.scaleDownDelay), stable's previous image and template,
//             the record;
//   promote:  canary carries everything (as many pods as stable runs), stable
//             gets the release's template once the router has moved its traffic,
//             then traffic back to stable in one write, then the canary to 0
//             (after rollout.scaleDownDelay), then record;
//   first deploy: straight to stable, wait until rolled out, record revision 1.
import { ExitCode } from "../errors.ts";
import type { RolloutContext } from "./context.ts";
import { setStable, waitCanaryReady, waitRolledOut } from "./deployments.ts";
import { trackService } from "./manifests.ts";
import { names } from "../kube/names.ts";
import { durationsOf } from "./plan.ts";
import { afterTrafficLeft, scaleCanaryDown } from "./scale-down.ts";
import { ensureStableCarries, routeOntoReadyStable, stableCannotCarry } from "./stable-health.ts";
import { releaseOf, type RolloutState } from "../model/state.ts";
import { desiredRelease } from "./templates.ts";
import { planTracks, scaleCanary, stableAutoscaler } from "./track-sizes.ts";

const who = (ctx: RolloutContext) => ({ actor: ctx.actor, time: new Date(ctx.clock.now()).toISOString() });

export async function ensureServices(ctx: RolloutContext): Promise<void> {
  for (const track of ["both", "stable", "canary"] as const)
    await ctx.cluster.createService(trackService(ctx.config, track));
}

/** Traffic to stable first (a single router write), then, once the router applied it, the canary down. */
export async function retreat(ctx: RolloutContext): Promise<void> {
  await ctx.router.setCanaryWeight(0);
  await scaleCanaryDown(ctx);
}

export async function rollbackInFlight(ctx: RolloutContext, state: RolloutState, reason: string): Promise<void> {
  // Traffic first, before even the record (a cancelled CI job may get a second signal
  // and then SIGKILL): a process killed after this write leaves weight 0 and a record
  // that `status` reads against the router, and `rollback` or a re-run finishes from.
  // Never onto a stable without a ready pod (decision 019): read beside the route's read, or stable brought up first.
  if (!(await ctx.uninterruptible(() => routeOntoReadyStable(ctx)))) {
    const until = ctx.clock.now() + durationsOf(ctx.config).readyTimeoutMs;
    const carries = await ensureStableCarries(ctx, state.previousImage, until);
    if (!carries.ok) throw stableCannotCarry(ctx, carries.reason);
    await ctx.uninterruptible(() => ctx.router.setCanaryWeight(0));
  }
  await ctx.store.updateOwned(ctx.owner, (s) => ({ ...s, phase: "rolling-back", reason, targetWeight: 0 }));
  await retreat(ctx);
  await restoreStable(ctx, state);
  await ctx.store.mutateOwned(ctx.owner, (stored) => {
    const entry = releaseOf(state, who(ctx), "rolled-back", { reason });
    const done = stored.history.some((h) => h.revision === state.revision && h.outcome === "rolled-back");
    return {
      state: { ...stored.state, phase: "rolled-back", weight: 0, targetWeight: 0, reason },
      history: done ? stored.history : [...stored.history, entry],
    };
  });
}

/** A rollback that interrupted a promotion puts stable back on the image and template it ran before. */
async function restoreStable(ctx: RolloutContext, state: RolloutState): Promise<void> {
  const previous = state.previousImage;
  if (!previous) return;
  await setStable(ctx, { image: previous, template: state.previousTemplate });
}

export async function promote(
  ctx: RolloutContext,
  state: RolloutState,
  deadline: number,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const { app, deployment } = ctx.config;
  const n = names(app);
  await ctx.store.updateOwned(ctx.owner, (s) => ({ ...s, phase: "promoting" }));
  // The canary carries all of stable's traffic: as many pods as stable actually runs.
  const full = await planTracks(ctx, state, 100);
  // The canary takes all traffic while stable is replaced, so no request meets a stable pod mid-update.
  await scaleCanary(ctx, full);
  const ready = await waitCanaryReady(ctx, full.canary, deadline, "promotion");
  if (!ready.ok) return ready;
  await ctx.router.setCanaryWeight(100);
  await ctx.store.updateOwned(ctx.owner, (s) => ({ ...s, weight: 100, targetWeight: 100 }));
  await afterTrafficLeft(ctx, "stable", "replacing stable's pods");
  // An autoscaler owns stable's replica count: promotion leaves it where the autoscaler put it.
  const replicas = (await stableAutoscaler(ctx)) ? undefined : deployment.replicas;
  await setStable(ctx, { image: state.image, template: state.template }, replicas);
  const rolled = await waitRolledOut(ctx, n.stable, deadline);
  if (!rolled.ok) return rolled;
  await retreat(ctx);
  await ctx.store.mutateOwned(ctx.owner, (stored) => {
    const entry = releaseOf(state, who(ctx), "promoted");
    const done = stored.history.some((h) => h.revision === state.revision && h.outcome === "promoted");
    return {
      state: { ...stored.state, phase: "promoted", weight: 0, targetWeight: 0 },
      history: done ? stored.history : [...stored.history, entry],
    };
  });
  return { ok: true };
}

export async function firstDeploy(ctx: RolloutContext, state: RolloutState, deadline: number) {
  const { config } = ctx;
  await ensureServices(ctx);
  // With the digest of what the template refers to, so the next release knows whether that changed.
  const release = await desiredRelease(ctx, undefined, state.image);
  const created = release.deployment;
  await ctx.cluster.createDeployment(created);
  const rolled = await waitRolledOut(ctx, names(config.app).stable, deadline, {
    title: "first deploy",
    track: "stable",
  });
  if (!rolled.ok) return { exitCode: ExitCode.internal, reason: rolled.reason };
  // Routing objects only once stable can carry traffic.
  await ctx.router.prepare();
  await ctx.store.mutateOwned(ctx.owner, (stored) => ({
    state: { ...stored.state, phase: "deployed" },
    history: stored.history.some((h) => h.revision === state.revision)
      ? stored.history
      : [
          ...stored.history,
          releaseOf(
            {
              ...state,
              previousImage: undefined,
              template: created.spec?.template,
              configDigests: release.config.objects,
              changes: { image: { to: state.image } },
            },
            who(ctx),
            "deployed",
          ),
        ],
  }));
  return { exitCode: ExitCode.ok };
}
