// An API outage in the middle of a rollout (issue 11, finding 3; decision 007,
// "Outages"). When the Kubernetes API stops answering for longer than a call's
// retry budget, or this process cannot renew its Lease before its renew
// deadline, nobody can watch the canary, so the rollout is rolled back: the
// engine keeps trying until the progress deadline (at least one lease duration
// from the failure), and once the API answers it takes its Lease back if
// nobody took it meanwhile; its first write for the rollout is then the route
// to 100 % stable, followed by the rest of the rollback. When the API never
// answers in time, it exits saying — loudly — that the canary is left with its
// traffic and no process watching it.
import { formatDuration } from "../config/duration.ts";
import { ExitCode } from "../errors.ts";
import { describeApiError } from "../kube/errors.ts";
import { isOwnershipLost, LeaseLostError } from "../kube/fence.ts";
import { ApiUnavailableError } from "../kube/retry.ts";
import type { Outcome, RolloutContext } from "./context.ts";
import { lostOutcome } from "./ownership.ts";
import type { RolloutState } from "../model/state.ts";

/** The API does not answer (as opposed to answering no), or the Lease lapsed on this process's own deadline. */
export function isOutage(error: unknown): boolean {
  if (error instanceof ApiUnavailableError) return true;
  if (error instanceof LeaseLostError) return error.expired;
  return !isOwnershipLost(error) && describeApiError(error).transient;
}

/** How long to wait between attempts: short at first, so the rollback follows the API's return closely. */
const pause = (attempt: number) => Math.min(2_000, 250 * 2 ** attempt);

export async function recoverFromOutage(
  ctx: RolloutContext,
  state: RolloutState,
  cause: unknown,
  options: {
    /** Absolute time after which no new attempt starts. */
    until: number;
    fields: Record<string, unknown>;
    /** The rollback, its first write the route to 100 % stable (the engine's). */
    rollBack: (reason: string) => Promise<Outcome>;
  },
): Promise<Outcome> {
  const since = ctx.clock.now();
  const what =
    cause instanceof LeaseLostError
      ? `this process could not renew the rollout lock in time (${cause.message})`
      : `the Kubernetes API at ${ctx.cluster.clients.server} is not answering (${describe(cause)})`;
  ctx.reporter.warn(
    `${what}; nobody can watch the canary meanwhile, so traffic goes back to stable as soon as the API answers (trying for ${formatDuration(Math.max(0, options.until - since))})`,
  );
  ctx.onOutage?.(what);
  let last = cause;
  for (let attempt = 0; ; attempt++) {
    try {
      const fence = ctx.cluster.fence;
      if (fence?.lapsedOnItsOwn) {
        if (!ctx.regainLease) throw fence.lost;
        await ctx.regainLease();
        ctx.reporter.info("took the rollout lock back: nobody had taken it while the API was not answering");
      }
      const away = formatDuration(Math.max(1_000, ctx.clock.now() - since));
      const why =
        cause instanceof LeaseLostError
          ? `the rollout lock lapsed (${cause.message})`
          : `the Kubernetes API did not answer for ${away} (${describe(cause)})`;
      return await options.rollBack(`${why}; nobody could watch the canary`);
    } catch (error) {
      if (!isOutage(error)) {
        if (isOwnershipLost(error)) return lostOutcome(ctx, error, options.fields);
        throw error;
      }
      last = error;
      const left = options.until - ctx.clock.now();
      if (left <= 0) return unwatched(ctx, state, since, last, options.fields);
      await ctx.clock.sleep(Math.min(pause(attempt), left));
    }
  }
}

/** The API never answered in time: the rollout stays as it was, and nobody watches it. Said as loudly as we can. */
function unwatched(
  ctx: RolloutContext,
  state: RolloutState,
  since: number,
  last: unknown,
  fields: Record<string, unknown>,
): Outcome {
  const known = ctx.store.last?.state ?? state;
  const weight = Math.max(known.weight, known.targetWeight);
  const traffic =
    weight > 0
      ? `the canary ${known.image} is LEFT WITH UP TO ${weight}% OF TRAFFIC and NO process watching it`
      : `the canary ${known.image} has no traffic, but the rollout is left in flight with no process watching it`;
  const message = `the Kubernetes API at ${ctx.cluster.clients.server} did not answer for ${formatDuration(ctx.clock.now() - since)} (${describe(last)}), up to the progress deadline: ${traffic}. Run \`grayctl rollback\` as soon as the API answers; \`grayctl status\` shows the rollout as orphaned once this process has exited`;
  return {
    outcome: "unreachable",
    exitCode: ExitCode.timeout,
    message,
    fields: { ...fields, phase: known.phase, step: known.stepIndex + 1, canaryWeight: weight, unwatched: true },
  };
}

function describe(error: unknown): string {
  if (error instanceof LeaseLostError) return error.message;
  return describeApiError(error).message;
}
