// `grayctl rollback` and `grayctl abort`: decide from the recorded state what
// to undo — the rollout in flight, or (rollback only) the last promotion —
// take the Lease, run the undo procedure, and say what happened.
import { ExitCode, GrayctlError, UsageError } from "../errors.ts";
import { isOwnershipLost } from "../kube/fence.ts";
import { isStateUnreadable } from "../kube/state-codec.ts";
import type { Acquired } from "../kube/lease.ts";
import type { LeaseInfo } from "../kube/lease-record.ts";
import { lostOutcome } from "../rollout/ownership.ts";
import { durationsOf } from "../rollout/plan.ts";
import { summarizeTrack } from "../model/pods.ts";
import { trackSelector } from "../kube/names.ts";
import { followRecordedPlan } from "../model/follow-plan.ts";
import { freshState, IN_FLIGHT, type RolloutState, type StoredState } from "../model/state.ts";
import { audit } from "./audit.ts";
import { withLease as holdLease } from "./lease-hold.ts";
import { planRollback } from "./lineage.ts";
import { rollbackFromObjects } from "./rollback-from-objects.ts";
import type { Outcome, RollbackRequest } from "./rollback-request.ts";
import type { OperateSession } from "./session.ts";
import { stableFirst } from "./stable-first.ts";
import { claim, reassert, type UndoState, undo } from "./undo.ts";

export type { Outcome, RollbackRequest } from "./rollback-request.ts";

/** The rollout changed between our read and our claim; plan again from the new record. */
class Replan extends Error {}

export async function rollbackRelease(session: OperateSession, request: RollbackRequest): Promise<Outcome> {
  const { ctx } = session;
  // A Ctrl-C stops a rollback at once, but never in the middle of a write (the route to stable first).
  ctx.cluster.duringWrites = ctx.uninterruptible;
  const reportStable = once(request.onStable);
  request = { ...request, onStable: reportStable };
  // --force and abort take the rollout over whatever the Lease says, and so does
  // a plain rollback of a rollout in flight (issue 19: on-call's rollback must not
  // wait for the process it is stopping). Otherwise a plain rollback goes first
  // only when nobody holds the Lease: a live holder with nothing in flight is
  // watched first (decision 007).
  const takingOver = request.force || request.mode === "abort";
  // When the early write landed; reported once the record shows there is something to undo,
  // so "nothing to roll back" is not preceded by a line about traffic that never moved.
  let landedAt: number | undefined;
  const firstRead = ctx.store.read().catch((error) => error as Error);
  const first = (
    takingOver
      ? Promise.resolve(true)
      : Promise.all([session.lease.read().then(nobodyActs, () => false), firstRead]).then(
          ([free, stored]) => free || undoesInFlight(stored),
        )
  )
    .then((go) => go && stableFirst(ctx))
    .then((done) => {
      if (done) landedAt = performance.now();
    });
  const reportEarly = () => landedAt !== undefined && reportStable(landedAt);
  for (let attempt = 0; attempt < 3; attempt++) {
    const [stored] = await Promise.all([
      attempt === 0 ? firstRead : ctx.store.read().catch((error) => error as Error),
      attempt === 0 ? first : undefined,
    ]);
    if (isStateUnreadable(stored)) {
      reportEarly();
      const takeOver = request.force || request.mode === "abort";
      return rollbackFromObjects(session, request, stored, (act) => withLease(session, takeOver, act));
    }
    if (stored instanceof Error) throw stored;
    ctx.reporter.debug(`state read at ${Math.round(performance.now())} ms: ${stored.state?.phase ?? "no state"}`);
    try {
      if (stored.state && IN_FLIGHT.has(stored.state.phase)) {
        reportEarly();
        return await undoInFlight(session, stored.state, request);
      }
      if (request.mode === "abort") {
        if (!stored.state && stored.history.length === 0) throw await nothingDeployed(session, "abort");
        return nothing(session, "no rollout is in flight; nothing to abort", stored);
      }
      return await undoPromotion(session, stored, request, reportEarly);
    } catch (error) {
      if (!(error instanceof Replan)) throw error;
    }
  }
  throw new GrayctlError(`the rollout of ${ctx.config.app} kept changing while rolling back; run the command again`, {
    exitCode: ExitCode.locked,
  });
}

/** The recorded plan's fields a rollback acts on: a difference elsewhere is not its business. */
const ROLLBACK_USES = ["rollout.progressDeadline", "rollout.scaleDownDelay"] as const;

async function undoInFlight(session: OperateSession, state: RolloutState, request: RollbackRequest): Promise<Outcome> {
  const { ctx } = session;
  // Its deadline and scale-down delay are the rollout's own, as recorded when it started (decision 025).
  ctx.config = followRecordedPlan(ctx.config, state, (text) => ctx.reporter.warn(text), ROLLBACK_USES);
  if (state.phase === "deploying") {
    throw new UsageError(
      `the first deploy of ${ctx.config.app} (${state.image}) is in flight or was interrupted; there is no earlier release to roll back to`,
      `Let it finish (\`grayctl rollout --image ${state.image}\` continues an interrupted one), or delete Deployment ${ctx.config.app} with kubectl if it must go.`,
    );
  }
  const reason =
    request.reason ?? (state.phase === "rolling-back" && state.reason ? state.reason : `${request.mode} requested`);
  // A rollout in flight is taken over from whoever runs it, as abort does: stopping it is the point.
  return withLease(session, true, async () => {
    const claimed = await claim(ctx, (current) => {
      if (!current || !IN_FLIGHT.has(current.phase)) throw new Replan();
      return { ...current, phase: "rolling-back", owner: ctx.owner, actor: ctx.actor, reason, targetWeight: 0 };
    });
    return finish(session, claimed, request, reason, request.mode === "abort" ? "Aborted" : "RolledBack");
  });
}

/** Nothing grayctl recorded for the app in this namespace: exit 2, naming where it looked. */
async function nothingDeployed(session: OperateSession, mode: RollbackRequest["mode"]): Promise<UsageError> {
  const { app, namespace } = session.ctx.config;
  const stable = await session.ctx.cluster.getDeployment(app);
  const what = mode === "abort" ? "nothing to abort" : "nothing to roll back";
  return new UsageError(
    stable
      ? `${what}: Deployment ${app} in namespace ${namespace} has no release recorded by grayctl (ConfigMap ${app}-grayctl)`
      : `${what}: ${app} was never deployed to namespace ${namespace} (no Deployment ${app}, no ConfigMap ${app}-grayctl)`,
    "Check --namespace, --context and the app name in the configuration.",
  );
}

async function undoPromotion(
  session: OperateSession,
  stored: StoredState,
  request: RollbackRequest,
  reportEarly: () => void,
): Promise<Outcome> {
  const { ctx } = session;
  if (stored.history.length === 0) throw await nothingDeployed(session, "rollback");
  const plan = planRollback(stored.history, request.toRevision);
  if (plan.kind === "refuse") throw new UsageError(plan.message, plan.hint);
  if (plan.kind === "nothing") return nothing(session, plan.message, stored);
  reportEarly();
  const reason = request.reason ?? `rollback to revision ${plan.to.revision} requested`;
  return withLease(session, request.force, async () => {
    const now = new Date(ctx.clock.now()).toISOString();
    const claimed = await claim(ctx, (current) => {
      // A rollout started since we read: undo that one instead.
      if (current && IN_FLIGHT.has(current.phase)) throw new Replan();
      const fields = {
        phase: "rolling-back" as const,
        revision: plan.from.revision,
        image: plan.from.image,
        actor: ctx.actor,
        owner: ctx.owner,
      };
      return {
        ...freshState(
          {
            ...fields,
            previousImage: plan.to.image,
            commit: plan.from.commit,
            reason,
            // The whole pod template when the release recorded it (older entries have only the image).
            template: plan.from.template,
            previousTemplate: plan.to.template,
          },
          now,
        ),
        restoreRevision: plan.to.revision,
      };
    });
    return finish(session, claimed, request, reason, "RolledBack");
  });
}

async function finish(
  session: OperateSession,
  state: UndoState,
  request: RollbackRequest,
  reason: string,
  eventReason: "RolledBack" | "Aborted",
): Promise<Outcome> {
  const { ctx } = session;
  const deadline = ctx.clock.now() + durationsOf(ctx.config).progressDeadlineMs;
  ctx.reporter.debug(`rollout claimed at ${Math.round(performance.now())} ms`);
  const result = await undo(ctx, state, { reason, wait: request.wait, deadline, onStable: request.onStable });
  const reasserted = await reassert(ctx, state);
  if (reasserted.length > 0)
    ctx.reporter.warn(`the previous holder wrote after the takeover; set again: ${reasserted.join(", ")}`);
  const restored = state.restoreRevision !== undefined ? ` to revision ${state.restoreRevision}` : "";
  const action = `rolled back revision ${state.revision} (${state.image})${restored}`;
  if (!result.waitFailed) await audit(ctx, { reason: eventReason, action, why: reason, warning: true });

  const fields = {
    app: ctx.config.app,
    namespace: ctx.config.namespace,
    revision: state.revision,
    image: state.image,
    stableImage: state.previousImage,
    restoredRevision: state.restoreRevision,
    actor: ctx.actor,
    reason,
    ...(reasserted.length > 0 ? { reasserted } : {}),
    ...(result.broughtUp ? { broughtUp: result.broughtUp } : {}),
  };
  if (result.waitFailed) {
    const running = await stableImagesRunning(ctx);
    return {
      outcome: "timeout",
      exitCode: ExitCode.timeout,
      message: `revision ${state.revision} (${state.image}) is NOT rolled back: traffic is 100% on stable, but stable did not roll back to ${state.previousImage}: ${result.waitFailed}${running}. Recorded as rolling-back; run \`grayctl rollback\` again once stable can run that image (or push it again)`,
      fields: { ...fields, stuck: result.waitFailed },
    };
  }
  const waiting =
    state.previousImage && result.stableChanged && !request.wait
      ? " (not waiting for stable to roll out: --no-wait)"
      : "";
  return {
    outcome: "rolled-back",
    // What was asked was done; `rollout` keeps 3 for a release that was rolled back (decision 003).
    exitCode: ExitCode.ok,
    message: `${action}: ${reason}; traffic is 100% on stable${waiting}`,
    fields,
  };
}

/** ", where its pods run IMAGE (2 pods)": what actually serves, when a rollback of stable did not finish. */
async function stableImagesRunning(ctx: OperateSession["ctx"]): Promise<string> {
  const pods = await ctx.cluster.listPods(trackSelector(ctx.config.app, "stable")).catch(() => []);
  const serving = new Map<string, number>();
  for (const pod of summarizeTrack(pods).pods.filter((p) => p.ready && p.image))
    serving.set(pod.image!, (serving.get(pod.image!) ?? 0) + 1);
  const parts = [...serving].map(([image, count]) => `${image} (${count} ready pod${count === 1 ? "" : "s"})`);
  return parts.length > 0 ? `; stable's pods serving now run ${parts.join(", ")}` : "";
}

function nothing(session: OperateSession, message: string, stored: StoredState): Outcome {
  const { config } = session.ctx;
  return {
    outcome: "nothing-to-do",
    exitCode: ExitCode.ok,
    message,
    fields: { app: config.app, namespace: config.namespace, phase: stored.state?.phase },
  };
}

/** Holds the Lease around `act`; a takeover or Ctrl-C ends it as an outcome, not an error. */
function withLease(session: OperateSession, force: boolean, act: () => Promise<Outcome>): Promise<Outcome> {
  const { ctx, lease, abort } = session;
  return holdLease({ lease, abort, reporter: ctx.reporter }, force, async (acquired) =>
    namingPreviousOwner(await endedAsOutcome(session, act), acquired),
  );
}

/** A rollback that took the rollout over says from whom (user, host, pid, CI job when known). */
function namingPreviousOwner(outcome: Outcome, acquired: Acquired): Outcome {
  if (!acquired.tookOverFrom || (outcome.outcome !== "rolled-back" && outcome.outcome !== "timeout")) return outcome;
  const from = acquired.tookOverFromDescribed ?? acquired.tookOverFrom;
  return {
    ...outcome,
    message: `${outcome.message}; took the rollout over from ${from}`,
    fields: { ...outcome.fields, tookOverFrom: from, previousHolder: acquired.tookOverFrom },
  };
}

/** A rollout in flight that a plain rollback takes over (a first deploy has nothing to go back to). */
function undoesInFlight(stored: StoredState | Error): boolean {
  if (stored instanceof Error) return false;
  const phase = stored.state?.phase;
  return phase !== undefined && phase !== "deploying" && IN_FLIGHT.has(phase);
}

async function endedAsOutcome(session: OperateSession, act: () => Promise<Outcome>): Promise<Outcome> {
  const { ctx } = session;
  try {
    return await act();
  } catch (error) {
    const why = ctx.signal.aborted ? ctx.signal.reason : error;
    if (isOwnershipLost(why)) return lostOutcome(ctx, why, { app: ctx.config.app });
    if (isOwnershipLost(error)) return lostOutcome(ctx, error, { app: ctx.config.app });
    if (ctx.signal.aborted) {
      // Ctrl-C while waiting for stable: what was written stands; the record says rolling-back.
      return {
        outcome: "interrupted",
        exitCode: ExitCode.paused,
        message: `interrupted (${(why as Error)?.message ?? why}); the rollback is recorded as in progress — run \`grayctl rollback\` again to finish it`,
        fields: { app: ctx.config.app },
      };
    }
    throw error;
  }
}

function nobodyActs(info: LeaseInfo | undefined): boolean {
  return !info || info.basis === "free" || info.basis === "process-gone";
}

/**
 * The first call only: traffic reaches stable once, however many writes confirm it. Every call returns
 * the first call's promise, so the undo's own (awaited) call waits for a callback the early write started.
 */
function once(
  callback: ((landedAtMs?: number) => void | Promise<void>) | undefined,
): (landedAtMs?: number) => Promise<void> {
  let first: Promise<void> | undefined;
  return (landedAtMs) => {
    first ??= Promise.resolve(callback?.(landedAtMs));
    return first;
  };
}
