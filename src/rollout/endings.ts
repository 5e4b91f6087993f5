// How a rollout run ends when it does not simply finish: interrupted (SIGINT/
// SIGTERM), stopped by a failed gate or a deadline, cut off by an API outage,
// superseded by another process, or stopped before its steps began. Every
// ending that leaves a canary behind routes traffic to stable first, or says
// loudly that it could not.
import { ExitCode } from "../errors.ts";
import { isOwnershipLost, LeaseLostError } from "../kube/fence.ts";
import { StateStore } from "../kube/state-store.ts";
import { createRouter } from "../routers/index.ts";
import type { Outcome, RolloutContext, RolloutRequest } from "./context.ts";
import { isOutage, recoverFromOutage } from "./outage.ts";
import { lostOutcome } from "./ownership.ts";
import { durationsOf } from "./plan.ts";
import { rollbackInFlight } from "./procedures.ts";
import { IN_FLIGHT, type RolloutState } from "../model/state.ts";
import { DeadlineError } from "./wait.ts";

/** The reason a user interrupt carries (SIGINT/SIGTERM). */
export class Interrupted extends Error {}

/**
 * The run ended before its steps: a signal, a lapsed or lost Lease. Once this
 * process's claim is recorded it ends as a begun run does (its canary rolled
 * back); before that nothing was changed, and the outcome says so.
 */
export async function notBegun(
  ctx: RolloutContext,
  request: RolloutRequest,
  error: unknown,
  runStartedAt: number,
): Promise<Outcome> {
  const reason = ctx.signal.aborted ? ctx.signal.reason : error;
  const closing = ctx.signal.aborted ? uncancelled(ctx) : ctx;
  const fields = { app: ctx.config.app, namespace: ctx.config.namespace, image: request.image };
  const claimed = ctx.store.last?.state;
  if (claimed?.owner === ctx.owner && IN_FLIGHT.has(claimed.phase)) {
    const deadline = runStartedAt + durationsOf(ctx.config).progressDeadlineMs;
    return endRun(closing, claimed, reason, error, { fields: { ...fields, image: claimed.image }, deadline });
  }
  const nothing = (why: string, outcome: Outcome["outcome"], exitCode: number, next = ""): Outcome => ({
    outcome,
    exitCode,
    message: `${why} before the rollout of ${request.image} began: nothing was changed${next}`,
    fields,
    quiet: true,
  });
  if (reason instanceof Interrupted) return nothing(reason.message, "interrupted", ExitCode.paused);
  const lost = [reason, error].find(isOwnershipLost);
  if (lost instanceof LeaseLostError && lost.expired)
    return nothing(`lost the rollout lock (${lost.message})`, "lease-lost", ExitCode.timeout, "; run it again");
  if (lost) return lostOutcome(closing, lost, fields);
  throw error;
}

/** The context a cancelled rollout finishes through: same Lease, fence and owner, requests no longer cancelled. */
export function uncancelled(ctx: RolloutContext): RolloutContext {
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

export async function rolledBack(
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

/** Ends a run that stopped early, through `ended`; rolling back may itself meet an outage, or find the rollout lost. */
export async function endRun(
  ctx: RolloutContext,
  state: RolloutState,
  reason: unknown,
  error: unknown,
  run: { fields: Record<string, unknown>; deadline: number },
): Promise<Outcome> {
  try {
    return await ended(ctx, state, reason, error, run);
  } catch (again) {
    if (isOutage(again) && state.phase !== "deploying") return await outage(ctx, state, again, run);
    if (isOwnershipLost(again)) return await lostOutcome(ctx, again, run.fields);
    if (state.phase !== "deploying") warnUnwatched(ctx, state);
    throw again;
  }
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
  if (reason instanceof Interrupted && state.phase === "deploying")
    return firstDeployInterrupted(ctx, state, reason, fields);
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

/**
 * A first deploy has no earlier release to roll back to and no canary: it stops
 * where it is, recorded as deploying, and `rollout` with the same image continues it.
 */
async function firstDeployInterrupted(
  ctx: RolloutContext,
  state: RolloutState,
  reason: Interrupted,
  fields: Record<string, unknown>,
): Promise<Outcome> {
  await ctx.store.updateOwned(ctx.owner, (s) => ({ ...s, reason: `${reason.message} during the first deploy` }));
  return {
    outcome: "interrupted",
    exitCode: ExitCode.paused,
    message: `${reason.message} during the first deploy of ${state.image}: recorded as deploying; run \`grayctl rollout\` again with the same image to continue it`,
    fields,
  };
}

/** An unexpected error ends the run: whatever traffic the canary has, nobody watches it now. Said before the error. */
function warnUnwatched(ctx: RolloutContext, state: RolloutState): void {
  const known = ctx.store.last?.state ?? state;
  const weight = Math.max(known.weight, known.targetWeight);
  ctx.reporter.warn(
    `stopping with the rollout of ${known.image} in flight${weight > 0 ? ` and UP TO ${weight}% OF TRAFFIC on its canary` : ""}, with NO process watching it: \`grayctl rollback\` sends all traffic to stable`,
  );
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

export async function recordActiveTime(ctx: RolloutContext, runStartedAt: number): Promise<void> {
  if (ctx.cluster.fence?.lost) return;
  try {
    await ctx.store.updateOwned(ctx.owner, (s) => ({ ...s, activeMs: s.activeMs + (ctx.clock.now() - runStartedAt) }));
  } catch {
    // Superseded or unreachable: the time record is advisory.
  }
}
