// A process that owns a rollout, and one that no longer does. Owning starts
// with the claim in the state record: from then on every write first confirms
// the claim still stands (so a forced takeover stops this process at its next
// write), and a holder forced out has lapsed before this process acts. Losing
// ends with reads only, to say who has the rollout now.
import { type OwnershipLostError, SupersededError } from "../kube/fence.ts";
import { names } from "../kube/names.ts";
import { supersededBy } from "../kube/state-store.ts";
import { ExitCode } from "../errors.ts";
import type { Outcome, RolloutContext } from "./context.ts";

const seconds = (ms: number) => `${Math.ceil(ms / 1000)}s`;

/** Called right after this process claimed the rollout's state record. */
export async function actAsOwner(ctx: RolloutContext): Promise<void> {
  const fence = ctx.cluster.fence;
  if (!fence) return;
  fence.confirmWith(ctx.store.ownedBy(ctx.owner));
  const left = fence.previousHolderLapseLeftMs();
  if (left > 0) {
    ctx.reporter.info(`waiting ${seconds(left)} until the previous holder's Lease has lapsed before acting`);
    await ctx.clock.sleep(left, ctx.signal);
  }
}

/** The outcome of a process that lost the rollout: superseded (3) when someone has it, lease-lost (6) when nobody does. */
export async function lostOutcome(
  ctx: RolloutContext,
  error: OwnershipLostError,
  fields: Record<string, unknown>,
): Promise<Outcome> {
  const [stored, lease] = await Promise.all([
    ctx.store.read().catch(() => undefined),
    ctx.cluster.getLease(names(ctx.config.app).lease).catch(() => undefined),
  ]);
  const state = stored?.state;
  const holder = lease?.spec?.holderIdentity;
  const by =
    state && state.owner !== ctx.owner
      ? supersededBy(state)
      : error instanceof SupersededError
        ? error.by
        : holder && holder !== ctx.owner
          ? holder
          : undefined;
  const why = error instanceof SupersededError ? "" : ` (${error.message})`;
  if (by) {
    return {
      outcome: "superseded",
      exitCode: ExitCode.rolledBack,
      message: `superseded by ${by}${why}; stopped without further changes`,
      fields: { ...fields, supersededBy: by },
    };
  }
  const where = state ? `${state.phase} at step ${state.stepIndex + 1}, canary weight ${state.weight}%` : "as it is";
  return {
    outcome: "lease-lost",
    exitCode: ExitCode.timeout,
    message: `lost the rollout lock${why}; stopped without further changes. Nobody has taken the rollout over: it is left ${where} with no process watching it — see \`grayctl status\`, then \`grayctl resume\` or \`grayctl rollback\``,
    fields,
  };
}
