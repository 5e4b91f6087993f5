// The rollback procedure behind `grayctl rollback` and `grayctl abort`, in the
// order of safety invariant 5, each step safe to repeat after a crash:
//   1. claim the rollout (state.owner = us, phase rolling-back) — the process
//      that ran it sees it is superseded at its next write and stops;
//   2. ONE router write: 100 % stable;
//   3. the canary to 0;
//   4. stable back to the image it ran before (after a promotion), waiting
//      until rolled out unless asked not to;
//   5. record the rolled-back release in the history.
import { isNotFound } from "../kube/errors.ts";
import type { RolloutContext } from "../rollout/context.ts";
import { rolloutStatus, setStableImage, waitRolledOut } from "../rollout/deployments.ts";
import { names } from "../kube/names.ts";
import { releaseOf, type RolloutState } from "../rollout/state.ts";

/** The state of a rollback in progress; restoreRevision is kept so a resumed rollback records it. */
export type UndoState = RolloutState & { restoreRevision?: number };

export interface UndoOptions {
  reason: string;
  /** Wait for stable to roll out when its image changes. */
  wait: boolean;
  deadline: number;
  /** Called right after the router write (the moment traffic is 100 % stable). */
  onStable?: () => void;
}

export interface UndoResult {
  state: UndoState;
  stableChanged: boolean;
  /** Set when stable did not finish rolling out before the deadline. */
  waitFailed?: string;
}

/** Step 1: one conditional write that makes this process the rollout's owner. */
export async function claim(
  ctx: RolloutContext,
  intent: (current: RolloutState | undefined) => UndoState,
): Promise<UndoState> {
  const written = await ctx.store.mutate((stored) => ({ state: intent(stored.state), history: stored.history }));
  return written.state as UndoState;
}

export async function undo(ctx: RolloutContext, state: UndoState, options: UndoOptions): Promise<UndoResult> {
  const n = names(ctx.config.app);
  try {
    await ctx.router.setCanaryWeight(0);
  } catch (error) {
    // No canary routing object was ever created (killed before the first step): no canary traffic to take away.
    if (!isNotFound(error)) throw error;
  }
  options.onStable?.();
  const canary = await ctx.cluster.getDeployment(n.canary);
  if (canary && (canary.spec?.replicas ?? 0) > 0) await ctx.cluster.scaleDeployment(n.canary, 0);

  let stableChanged = false;
  let waitFailed: string | undefined;
  const previous = state.previousImage;
  if (previous) {
    const { changed, deployment: updated } = await setStableImage(ctx, previous);
    stableChanged = changed;
    // A stable still rolling out from an earlier, interrupted rollback is waited for too.
    if (options.wait && (stableChanged || !rolloutStatus(updated).done)) {
      const rolled = await waitRolledOut(ctx, n.stable, options.deadline);
      if (!rolled.ok) waitFailed = rolled.reason;
    }
  }

  const written = await ctx.store.mutate((stored) => {
    const who = { actor: ctx.actor, time: new Date(ctx.clock.now()).toISOString() };
    const entry = releaseOf(state, who, "rolled-back", {
      reason: options.reason,
      restoredRevision: state.restoreRevision,
    });
    // The record is one write, so only a re-run that raced another rollback can find its own entry already there.
    const last = stored.history.at(-1);
    const done =
      last?.revision === state.revision &&
      last.outcome === "rolled-back" &&
      last.restoredRevision === state.restoreRevision;
    const base = stored.state ?? state;
    return {
      state: {
        ...base,
        phase: "rolled-back",
        weight: 0,
        targetWeight: 0,
        reason: options.reason,
        updatedAt: entry.time,
      },
      history: done ? stored.history : [...stored.history, entry],
    };
  });
  return { state: written.state as UndoState, stableChanged, waitFailed };
}
