// `grayctl guard`, for one app: is its rollout orphaned (the process running it
// gone, its Lease expired by this process's own observation plus a grace), and
// if so apply the app's recorded `onOrphan` policy through the same fenced
// engine as everyone else (decision 041). The Lease is taken without --force
// and conditionally on the record that was judged, so a live owner is never
// taken over and of two guards at once only one gets it.
import { ExitCode } from "../errors.ts";
import { LeaseHeldError } from "../kube/lease.ts";
import { IN_FLIGHT, type RolloutState } from "../model/state.ts";
import type { Lifecycle } from "../hooks/types.ts";
import { audit } from "./audit.ts";
import { continueRollout } from "./continue.ts";
import { rollbackRelease } from "./rollback.ts";
import type { OperateSession } from "./session.ts";

export type GuardVerdict =
  | "idle" // nothing in flight, or stopped on purpose (paused, interrupted with onInterrupt: leave)
  | "live" // its owner was seen renewing the Lease
  | "held" // orphaned; onOrphan: hold
  | "rolled-back"
  | "resumed"
  | "lost"; // another process (a second guard, the owner) took it while this one acted

export interface GuardResult {
  app: string;
  verdict: GuardVerdict;
  /** The process whose Lease expired (when orphaned). */
  previousOwner?: string;
  /** The outcome of the action taken (rolled-back, promoted, …). */
  outcome?: string;
  message: string;
  exitCode: number;
}

export interface GuardSession extends OperateSession {
  /** Gives the session what `resume` needs (the gates), built from the recorded plan and the guard's environment. */
  prepareResume(): Promise<void>;
  /** The guard's own notification targets (decision 041). */
  notify: Lifecycle;
}

/** A rollout a process should be running now: in flight and not stopped on purpose. */
export function needsOwner(state: RolloutState | undefined): state is RolloutState {
  return Boolean(state && IN_FLIGHT.has(state.phase) && state.phase !== "paused" && state.phase !== "interrupted");
}

export async function guardApp(session: GuardSession, state: RolloutState): Promise<GuardResult> {
  const { ctx, lease, abort } = session;
  const app = ctx.config.app;
  const policy = state.setup?.onOrphan ?? "rollback";
  const result = (verdict: GuardVerdict, message: string, extra: Partial<GuardResult> = {}): GuardResult => ({
    app,
    verdict,
    message,
    exitCode: ExitCode.ok,
    ...extra,
  });
  let previousOwner: string | undefined;
  try {
    // Watches a held Lease (up to its duration plus the grace) until it is seen renewing or has lapsed.
    const judged = await lease.acquire({ signal: abort.signal, observeOnly: policy === "hold" });
    previousOwner = judged.tookOverFromDescribed ?? judged.tookOverFrom;
  } catch (error) {
    if (error instanceof LeaseHeldError) return result("live", `${app}: its owner renews its Lease; not touched`);
    throw error;
  }
  const who = previousOwner ?? "its owner";
  if (policy === "hold") {
    const message = `${app}: the rollout of ${state.image} is orphaned (${who} stopped renewing its Lease) at ${state.weight}% to canary; onOrphan: hold, so it is left as it is`;
    // The Event is a report, not a write of the rollout: sent without the Lease (unfenced).
    const reporting = ctx.cluster.withSignal(undefined);
    reporting.fence = undefined;
    await audit({ ...ctx, cluster: reporting }, { reason: "OrphanHeld", action: message, warning: true });
    session.notify.transition("orphan-held", runInfo(ctx.config, state, "held", message));
    return result("held", message, { previousOwner });
  }
  // This process holds the Lease now: nobody else's write lands. Judge the record again under it.
  lease.keepAlive((error) => abort.abort(error));
  try {
    const { state: current } = await ctx.store.read();
    if (!needsOwner(current)) return result("idle", `${app}: the rollout ended before the guard took it`);
    const reason = `orphaned: ${who} stopped renewing its Lease`;
    if (policy === "resume" && current.phase !== "rolling-back") {
      await session.prepareResume();
      await audit(ctx, {
        reason: "OrphanResumed",
        action: `the guard resumed the orphaned rollout of ${current.image} at step ${current.stepIndex + 1}`,
        why: reason,
      });
      session.notify.transition("orphan-resumed", runInfo(ctx.config, current, "resumed", reason));
      const outcome = await continueRollout(
        { rollout: ctx, lease, abort },
        { mode: "resume", full: false, force: false },
      );
      const verdict = outcome.outcome === "superseded" ? "lost" : "resumed";
      return result(verdict, `${app}: resumed (${reason}): ${outcome.message}`, {
        previousOwner,
        outcome: outcome.outcome,
        exitCode: outcome.outcome === "superseded" ? outcome.exitCode : ExitCode.ok,
      });
    }
    // Said while the Lease is held: once the rollback releases it, this process writes nothing more.
    await audit(ctx, {
      reason: "OrphanTakenOver",
      action: `the guard took over the orphaned rollout of ${current.image} at step ${current.stepIndex + 1} to roll it back`,
      why: reason,
      warning: true,
    });
    const outcome = await rollbackRelease(session, {
      mode: "rollback",
      wait: false,
      force: false,
      reason: `${reason}; the guard rolled it back (onOrphan: ${policy})`,
    });
    if (outcome.outcome !== "rolled-back")
      return result("lost", `${app}: ${outcome.message}`, { outcome: outcome.outcome, exitCode: outcome.exitCode });
    session.notify.transition("orphan-rolled-back", runInfo(ctx.config, current, "rolled-back", outcome.message));
    return result("rolled-back", `${app}: ${outcome.message}`, { previousOwner, outcome: outcome.outcome });
  } finally {
    await lease.release().catch(() => {});
  }
}

function runInfo(config: { app: string; namespace: string }, state: RolloutState, outcome: string, reason: string) {
  return {
    app: config.app,
    namespace: config.namespace,
    image: state.image,
    revision: state.revision,
    outcome,
    reason,
    message: reason,
  };
}
