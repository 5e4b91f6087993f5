// `grayctl promote` and `grayctl resume`: continue the recorded rollout with
// the engine, as `grayctl rollout` would, holding the Lease the same way.
import { ExitCode, UsageError } from "../errors.ts";
import type { Lease } from "../kube/lease.ts";
import type { Outcome, RolloutContext } from "../rollout/context.ts";
import { runRollout } from "../rollout/engine.ts";
import { IN_FLIGHT } from "../model/state.ts";
import { audit } from "./audit.ts";
import { withLease } from "./lease-hold.ts";

export interface ContinueRequest {
  mode: "promote" | "resume";
  /** promote --full: skip the remaining steps. */
  full: boolean;
  force: boolean;
}

export async function continueRollout(
  session: { rollout: RolloutContext; lease: Lease; abort: AbortController },
  request: ContinueRequest,
): Promise<Outcome> {
  const ctx = session.rollout;
  const { app, namespace } = ctx.config;
  const { state } = await ctx.store.read();
  const fields = { app, namespace };
  if (!state || !IN_FLIGHT.has(state.phase)) {
    const what = request.mode === "promote" ? "promote" : "resume";
    return {
      outcome: "nothing-to-do",
      exitCode: ExitCode.ok,
      message: `no rollout of ${app} is in flight (${state?.phase ?? "nothing recorded"}); nothing to ${what}`,
      fields,
    };
  }
  const where = `the rollout of ${state.image} is ${state.phase} at step ${state.stepIndex + 1}`;
  if (state.phase === "rolling-back") {
    throw new UsageError(`${where}: a rollback is under way`, "Finish it with `grayctl rollback`.");
  }
  if (request.mode === "promote" && state.phase !== "paused" && !request.full) {
    throw new UsageError(
      `${where}, not paused at a manual step; nothing to promote`,
      "Continue it with `grayctl resume`, or skip the remaining steps with `grayctl promote --full`.",
    );
  }
  if (request.mode === "resume" && state.phase === "paused") {
    throw new UsageError(`${where}, paused at a manual step`, "Continue it with `grayctl promote`.");
  }

  const holder = { lease: session.lease, abort: session.abort, reporter: ctx.reporter };
  return withLease(holder, request.force, async () => {
    const action =
      request.mode === "resume"
        ? `resumed the rollout of ${state.image} at step ${state.stepIndex + 1}`
        : request.full
          ? `promoting ${state.image} now, skipping the remaining steps`
          : `continued the rollout of ${state.image} after step ${state.stepIndex + 1}`;
    await audit(ctx, { reason: request.mode === "resume" ? "RolloutResumed" : "PromotionContinued", action });
    const outcome = await runRollout(ctx, {
      image: state.image,
      commit: state.commit,
      continueFromPause: request.mode === "promote",
      skipSteps: request.full,
    });
    if (outcome.outcome === "promoted")
      await audit(ctx, { reason: "Promoted", action: `promoted revision ${state.revision} (${state.image})` });
    if (outcome.outcome === "rolled-back") {
      await audit(ctx, {
        reason: "RolledBack",
        action: `rolled back revision ${state.revision} (${state.image})`,
        why: String(outcome.fields.reason ?? ""),
        warning: true,
      });
    }
    return outcome;
  });
}
