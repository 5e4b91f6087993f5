// The three procedures that change what serves traffic, each in the order the
// safety invariants require, each safe to run again after a crash:
//   rollback: one router write to 100 % stable, then the intent, the canary to 0,
//             stable's previous image, the record;
//   promote:  canary carries everything, stable updated and ready, then traffic
//             back to stable in one write, then the canary to 0, then record;
//   first deploy: straight to stable, wait until rolled out, record revision 1.
import { ExitCode } from "../errors.ts";
import type { RolloutContext } from "./context.ts";
import { setStableImage, waitCanaryReady, waitRolledOut } from "./deployments.ts";
import { stableDeployment, trackService } from "./manifests.ts";
import { names } from "../kube/names.ts";
import { releaseOf, type RolloutState } from "./state.ts";

const who = (ctx: RolloutContext) => ({ actor: ctx.actor, time: new Date(ctx.clock.now()).toISOString() });

export async function ensureServices(ctx: RolloutContext): Promise<void> {
  for (const track of ["both", "stable", "canary"] as const)
    await ctx.cluster.createService(trackService(ctx.config, track));
}

/** Traffic to stable first (a single router write), then the canary down. */
export async function retreat(ctx: RolloutContext): Promise<void> {
  await ctx.router.setCanaryWeight(0);
  const canary = await ctx.cluster.getDeployment(names(ctx.config.app).canary);
  if (canary && (canary.spec?.replicas ?? 0) > 0) await ctx.cluster.scaleDeployment(names(ctx.config.app).canary, 0);
}

export async function rollbackInFlight(ctx: RolloutContext, state: RolloutState, reason: string): Promise<void> {
  // Traffic first, before even the record (a cancelled CI job may get a second signal
  // and then SIGKILL): a process killed after this write leaves weight 0 and a record
  // that `status` reads against the router, and `rollback` or a re-run finishes from.
  await ctx.uninterruptible(() => ctx.router.setCanaryWeight(0));
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

/** A rollback that interrupted a promotion puts stable back on the image it ran before. */
async function restoreStable(ctx: RolloutContext, state: RolloutState): Promise<void> {
  const previous = state.previousImage;
  if (!previous) return;
  await setStableImage(ctx, previous);
}

export async function promote(
  ctx: RolloutContext,
  state: RolloutState,
  deadline: number,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const { app, deployment } = ctx.config;
  const n = names(app);
  await ctx.store.updateOwned(ctx.owner, (s) => ({ ...s, phase: "promoting" }));
  const full = ctx.router.replicas(100, deployment.replicas);
  // The canary takes all traffic while stable is replaced, so no request meets a stable pod mid-update.
  await ctx.cluster.scaleDeployment(n.canary, full.canary);
  const ready = await waitCanaryReady(ctx, full.canary, deadline);
  if (!ready.ok) return ready;
  await ctx.router.setCanaryWeight(100);
  await ctx.store.updateOwned(ctx.owner, (s) => ({ ...s, weight: 100, targetWeight: 100 }));
  await setStableImage(ctx, state.image, deployment.replicas);
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
  await ctx.cluster.createDeployment(stableDeployment(config, state.image, await loadTemplate(ctx)));
  const rolled = await waitRolledOut(ctx, names(config.app).stable, deadline);
  if (!rolled.ok) return { exitCode: ExitCode.internal, reason: rolled.reason };
  // Routing objects only once stable can carry traffic.
  await ctx.router.prepare();
  await ctx.store.mutateOwned(ctx.owner, (stored) => ({
    state: { ...stored.state, phase: "deployed" },
    history: stored.history.some((h) => h.revision === state.revision)
      ? stored.history
      : [...stored.history, releaseOf({ ...state, previousImage: undefined }, who(ctx), "deployed")],
  }));
  return { exitCode: ExitCode.ok };
}

async function loadTemplate(ctx: RolloutContext) {
  const manifest = ctx.config.deployment.manifest;
  if (!manifest) return undefined;
  const { loadManifest } = await import("./manifest-file.ts");
  return loadManifest(manifest, ctx.config);
}
