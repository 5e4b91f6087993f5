// `grayctl rollout`: decides from the recorded state whether this is a first
// deploy, a new canary, a resume or nothing to do, runs it, and maps every
// ending (promoted, failed gate, deadline, interrupt, takeover) to an outcome.
import { ExitCode, UsageError } from "../errors.ts";
import { isOwnershipLost } from "../kube/fence.ts";
import type { Outcome, RolloutContext } from "./context.ts";
import { ensureCanary } from "./deployments.ts";
import { imageOf } from "./manifests.ts";
import { names } from "../kube/names.ts";
import { StateStore } from "../kube/state-store.ts";
import { createRouter } from "../routers/index.ts";
import { actAsOwner, lostOutcome } from "./ownership.ts";
import { deadlineLeft, durationsOf, stepsOf } from "./plan.ts";
import { isOutage, recoverFromOutage } from "./outage.ts";
import { ensureServices, firstDeploy, promote, rollbackInFlight } from "./procedures.ts";
import { freshState, IN_FLIGHT, nextRevision, type RolloutState } from "./state.ts";
import { runSteps } from "./steps.ts";
import { DeadlineError } from "./wait.ts";

export interface RolloutRequest {
  image: string;
  commit?: string;
  supersede?: boolean;
  /** Continue a paused rollout (grayctl promote / resume): skip the paused step. */
  continueFromPause?: boolean;
  /** `grayctl promote --full`: skip the remaining steps, straight to promotion. */
  skipSteps?: boolean;
}

/** The reason a user interrupt carries (SIGINT/SIGTERM). */
export class Interrupted extends Error {}

/** Refuses a request that conflicts with the rollout in flight: before the Lease is taken, and again under it. */
export function refuseConflicting(current: RolloutState | undefined, request: RolloutRequest): void {
  if (!current || !IN_FLIGHT.has(current.phase) || current.image === request.image || request.supersede) return;
  throw new UsageError(
    `a rollout of ${current.image} is in flight (${current.phase}, step ${current.stepIndex + 1}, weight ${current.weight}%)`,
    "Pass --supersede to replace it with this image, finish it with `grayctl promote`, or undo it with `grayctl rollback`.",
  );
}

/** The request's checks against the recorded state, for the command to run before it takes the Lease. */
export async function checkRequest(ctx: RolloutContext, request: RolloutRequest): Promise<void> {
  refuseConflicting((await ctx.store.read()).state, request);
}

export async function runRollout(ctx: RolloutContext, request: RolloutRequest): Promise<Outcome> {
  const { config } = ctx;
  const n = names(config.app);
  const runStartedAt = ctx.clock.now();
  let stored = await ctx.store.read();
  const current = stored.state;
  const fields = { app: config.app, namespace: config.namespace, image: request.image };

  if (current && IN_FLIGHT.has(current.phase)) {
    refuseConflicting(current, request);
    if (current.image !== request.image) {
      ctx.reporter.warn(`superseding the rollout of ${current.image}`);
      await take(ctx, current);
      await rollbackInFlight(ctx, current, `superseded by ${request.image}`);
      stored = await ctx.store.read();
    } else if (current.phase === "paused" && !request.continueFromPause) {
      return paused(current, fields, "still paused");
    } else {
      const resumed = await take(ctx, current);
      return drive(ctx, resumed, runStartedAt, request);
    }
  }

  // Read after any rollback above: an interrupted promotion it undid put stable back on its previous image.
  const stable = await ctx.cluster.getDeployment(n.stable);
  if (!stable) {
    const state = await start(ctx, request, {
      phase: "deploying",
      revision: nextRevision(stored.history, stored.state),
    });
    ctx.reporter.info(`first deploy of ${config.app}: ${request.image} straight to stable`);
    return drive(ctx, state, runStartedAt, request);
  }
  const stableImage = imageOf(stable, config.app);
  if (stableImage === request.image) {
    return {
      outcome: "unchanged",
      exitCode: ExitCode.ok,
      message: `${config.app} already runs ${request.image}; nothing to do`,
      fields,
    };
  }
  const state = await start(ctx, request, {
    phase: "progressing",
    revision: nextRevision(stored.history, stored.state),
    previousImage: stableImage,
  });
  await ensureServices(ctx);
  await ctx.router.prepare();
  const first = stepsOf(config)[0];
  await ensureCanary(ctx, stable, request.image, ctx.router.replicas(first.weight, config.deployment.replicas).canary);
  return drive(ctx, state, runStartedAt, request);
}

/** Claims ownership of a recorded rollout for this process. */
async function take(ctx: RolloutContext, state: RolloutState): Promise<RolloutState> {
  const written = await ctx.store.mutate((stored) => ({
    state: { ...(stored.state ?? state), owner: ctx.owner, actor: ctx.actor },
    history: stored.history,
  }));
  await actAsOwner(ctx);
  return written.state!;
}

async function start(
  ctx: RolloutContext,
  request: RolloutRequest,
  init: Pick<RolloutState, "phase" | "revision"> & { previousImage?: string },
) {
  const now = new Date(ctx.clock.now()).toISOString();
  const state = freshState(
    { ...init, image: request.image, commit: request.commit, actor: ctx.actor, owner: ctx.owner },
    now,
  );
  // Intent first: the record exists before anything in the cluster changes.
  const written = await ctx.store.mutate((stored) => ({ state, history: stored.history }));
  await actAsOwner(ctx);
  return written.state!;
}

function paused(state: RolloutState, fields: Record<string, unknown>, prefix: string): Outcome {
  return {
    outcome: "paused",
    exitCode: ExitCode.paused,
    message: `${prefix} at step ${state.stepIndex + 1} (${state.weight}% to canary ${state.image}); continue with \`grayctl promote\``,
    fields: { ...fields, step: state.stepIndex + 1, weight: state.weight },
  };
}

async function drive(
  ctx: RolloutContext,
  state: RolloutState,
  runStartedAt: number,
  request: RolloutRequest,
): Promise<Outcome> {
  const { progressDeadlineMs } = durationsOf(ctx.config);
  const deadline = runStartedAt + deadlineLeft(progressDeadlineMs, state.activeMs, runStartedAt, runStartedAt);
  const fields = { app: ctx.config.app, namespace: ctx.config.namespace, image: state.image, revision: state.revision };
  let closing = ctx;
  try {
    if (state.phase === "deploying") {
      const deployed = await firstDeploy(ctx, state, deadline);
      if (deployed.exitCode !== ExitCode.ok)
        throw new DeadlineError(`Deployment ${ctx.config.app}`, deployed.reason ?? "");
      return {
        outcome: "deployed",
        exitCode: ExitCode.ok,
        message: `deployed ${state.image} to ${ctx.config.app} (revision ${state.revision})`,
        fields,
      };
    }
    if (state.phase === "rolling-back") return await rolledBack(ctx, state, state.reason ?? "rollback resumed", fields);
    if (state.phase !== "promoting" && !request.skipSteps) {
      const from =
        state.phase === "paused" && request.continueFromPause ? { ...state, stepIndex: state.stepIndex + 1 } : state;
      const steps = await runSteps(ctx, from, deadline);
      if (steps.kind === "failed") return await rolledBack(ctx, state, steps.reason, fields);
      if (steps.kind === "paused")
        return paused(
          { ...state, stepIndex: steps.step, weight: stepsOf(ctx.config)[steps.step].weight },
          fields,
          "paused",
        );
    }
    const promoted = await promote(ctx, state, deadline);
    if (!promoted.ok) return await rolledBack(ctx, state, promoted.reason, fields);
    return {
      outcome: "promoted",
      exitCode: ExitCode.ok,
      message: `promoted ${state.image}: stable runs it, canary scaled to 0`,
      fields,
    };
  } catch (error) {
    const reason = ctx.signal.aborted ? ctx.signal.reason : error;
    // The user's cancellation stopped this context's requests; what follows goes through a fresh one.
    if (ctx.signal.aborted) closing = uncancelled(ctx);
    try {
      return await ended(closing, state, reason, error, { fields, deadline });
    } catch (again) {
      // Rolling back after an interrupt or a deadline may itself meet an outage, or find the rollout lost.
      if (isOutage(again) && state.phase !== "deploying")
        return await outage(closing, state, again, { fields, deadline });
      if (isOwnershipLost(again)) return await lostOutcome(closing, again, fields);
      throw again;
    }
  } finally {
    await recordActiveTime(closing, runStartedAt);
  }
}

/** The context a cancelled rollout finishes through: same Lease, fence and owner, requests no longer cancelled. */
function uncancelled(ctx: RolloutContext): RolloutContext {
  const cluster = ctx.cluster.withSignal(undefined);
  const store = new StateStore(cluster, ctx.config.app);
  store.last = ctx.store.last;
  return {
    ...ctx,
    cluster,
    store,
    router: createRouter(ctx.config, cluster, (message) => ctx.reporter.warn(message)),
    signal: new AbortController().signal,
  };
}

async function rolledBack(
  ctx: RolloutContext,
  state: RolloutState,
  reason: string,
  fields: Record<string, unknown>,
): Promise<Outcome> {
  ctx.reporter.warn(`rolling back: ${reason}`);
  await rollbackInFlight(ctx, state, reason);
  return {
    outcome: "rolled-back",
    exitCode: ExitCode.rolledBack,
    message: `rolled back ${state.image}: ${reason}; traffic is 100% on stable`,
    fields: { ...fields, reason },
  };
}

/** Interrupts, takeovers, outages and deadlines all end here; `reason` is the signal's when one aborted the run. */
async function ended(
  ctx: RolloutContext,
  state: RolloutState,
  reason: unknown,
  error: unknown,
  run: { fields: Record<string, unknown>; deadline: number },
): Promise<Outcome> {
  const { fields } = run;
  // The API stopped answering, or this process's Lease lapsed on its own deadline:
  // nobody watches the canary, so traffic goes back to stable once the API answers.
  const lostContact = [reason, error].find(isOutage);
  if (lostContact !== undefined && state.phase !== "deploying") return outage(ctx, state, lostContact, run);
  // Someone else owns the rollout now (a rollback, a forced takeover): stop without writing anything.
  if (isOwnershipLost(reason)) return lostOutcome(ctx, reason, fields);
  if (isOwnershipLost(error)) return lostOutcome(ctx, error, fields);
  if (reason instanceof Interrupted) {
    if (ctx.config.rollout.onInterrupt === "leave") {
      await ctx.store.updateOwned(ctx.owner, (s) => ({ ...s, phase: "interrupted", reason: reason.message }));
      return {
        outcome: "interrupted",
        exitCode: ExitCode.paused,
        message: `${reason.message}: left as is (onInterrupt: leave); continue with \`grayctl resume\` or undo with \`grayctl rollback\``,
        fields,
      };
    }
    return rolledBack(ctx, state, `${reason.message} (onInterrupt: rollback)`, fields);
  }
  if (error instanceof DeadlineError && state.phase !== "deploying")
    return rolledBack(ctx, state, `progress deadline exceeded: ${error.message}`, fields);
  throw error;
}

/** Keeps trying to roll back until the progress deadline, and at least one lease duration (outage.ts). */
function outage(
  ctx: RolloutContext,
  state: RolloutState,
  cause: unknown,
  run: { fields: Record<string, unknown>; deadline: number },
): Promise<Outcome> {
  // The session's signal may be aborted by a lapse of the Lease later on: the recovery never is.
  const quiet = uncancelled(ctx);
  const until = Math.max(run.deadline, ctx.clock.now() + durationsOf(ctx.config).leaseMs);
  return recoverFromOutage(quiet, state, cause, {
    until,
    fields: run.fields,
    rollBack: (reason) => rolledBack(quiet, state, reason, run.fields),
  });
}

async function recordActiveTime(ctx: RolloutContext, runStartedAt: number): Promise<void> {
  if (ctx.cluster.fence?.lost) return;
  try {
    await ctx.store.updateOwned(ctx.owner, (s) => ({ ...s, activeMs: s.activeMs + (ctx.clock.now() - runStartedAt) }));
  } catch {
    // Superseded or unreachable: the time record is advisory.
  }
}
