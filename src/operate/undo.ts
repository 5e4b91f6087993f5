// The rollback procedure behind `grayctl rollback` and `grayctl abort`, in the
// order of safety invariant 5, each step safe to repeat after a crash:
//   1. claim the rollout (state.owner = us, phase rolling-back) — the process
//      that ran it sees it is superseded at its next write and stops;
//   (stable must have a ready pod: brought up first, or nothing moves — decision 019)
//   2. ONE router write: 100 % stable;
//   3. the canary to 0;
//   4. stable back to the image it ran before (after a promotion), waiting
//      until rolled out unless asked not to;
//   5. record the rolled-back release in the history — only once stable runs
//      the image it went back to (or --no-wait was asked for).
import { isNotFound } from "../kube/errors.ts";
import type { RolloutContext } from "../rollout/context.ts";
import { rolloutStatus, setStable } from "../rollout/deployments.ts";
import { scaleCanaryDown } from "../rollout/scale-down.ts";
import { ensureStableCarries, stableCannotCarry, waitStableRolledOut } from "../rollout/stable-health.ts";
import { releaseOf, type RolloutState } from "../model/state.ts";

/** The state of a rollback in progress; restoreRevision is kept so a resumed rollback records it. */
export type UndoState = RolloutState & { restoreRevision?: number };

export interface UndoOptions {
  reason: string;
  /** Wait for stable to roll out when its image changes. */
  wait: boolean;
  deadline: number;
  /**
   * Called right after the router write (the moment traffic is 100 % stable) and awaited before any other
   * write: `rollback --all` holds every target here until all targets' traffic is on stable.
   */
  onStable?: () => void | Promise<void>;
}

export interface UndoResult {
  state: UndoState;
  stableChanged: boolean;
  /** Set when stable did not finish rolling out (stuck, or the deadline): nothing was recorded as rolled back. */
  waitFailed?: string;
  /** What was done to bring stable up before traffic moved to it. */
  broughtUp?: string;
}

/** Step 1: one conditional write that makes this process the rollout's owner. */
export async function claim(
  ctx: RolloutContext,
  intent: (current: RolloutState | undefined) => UndoState,
): Promise<UndoState> {
  const written = await ctx.store.mutate((stored) => ({ state: intent(stored.state), history: stored.history }));
  // From here on every write first confirms the claim still stands.
  ctx.cluster.fence?.confirmWith(ctx.store.ownedBy(ctx.owner));
  return written.state as UndoState;
}

/**
 * After taking the rollout over from a holder that may still have been acting:
 * once its Lease has lapsed it can no longer write, so traffic, canary and
 * stable are checked once more and set again where a write it had in flight
 * landed after the rollback's. Returns what had to be set again.
 */
export async function reassert(ctx: RolloutContext, state: UndoState): Promise<string[]> {
  const fence = ctx.cluster.fence;
  if (!fence?.tookOver) return [];
  const left = fence.previousHolderLapseLeftMs();
  if (left > 0) {
    ctx.reporter.info(
      `traffic is 100% on stable; waiting ${Math.ceil(left / 1000)}s until the previous holder's Lease has lapsed, then checking nothing it had in flight undid the rollback`,
    );
    try {
      await ctx.clock.sleep(left, ctx.signal);
    } catch (error) {
      if (!ctx.signal.aborted) throw error;
      ctx.reporter.warn(
        "interrupted before the final check; `grayctl status` shows whether the previous holder changed anything",
      );
      return [];
    }
  }
  const fixed: string[] = [];
  const weight = ctx.router.name === "replicas" ? 0 : await ctx.router.currentCanaryWeight();
  if (weight) {
    await ctx.router.setCanaryWeight(0);
    fixed.push(`canary weight ${weight}% → 0`);
  }
  const replicas = await scaleCanaryDown(ctx);
  if (replicas > 0) fixed.push(`canary replicas ${replicas} → 0`);
  if (state.previousImage && (await setStable(ctx, previousRelease(state))).changed)
    fixed.push(`stable image → ${state.previousImage}`);
  return fixed;
}

/** What stable goes back to: the image, and the whole template when the record has it. */
function previousRelease(state: UndoState) {
  return { image: state.previousImage!, template: state.previousTemplate };
}

export async function undo(ctx: RolloutContext, state: UndoState, options: UndoOptions): Promise<UndoResult> {
  // What stable ran before this rollout (in flight), or the release it goes back to (after a promotion).
  const carries = await ensureStableCarries(ctx, state.previousImage, options.deadline);
  if (!carries.ok) throw stableCannotCarry(ctx, carries.reason);
  try {
    await ctx.router.setCanaryWeight(0);
  } catch (error) {
    // No canary routing object was ever created (killed before the first step): no canary traffic to take away.
    if (!isNotFound(error)) throw error;
  }
  await options.onStable?.();
  await scaleCanaryDown(ctx);

  let stableChanged = false;
  let waitFailed: string | undefined;
  const previous = state.previousImage;
  if (previous) {
    const { changed, deployment: updated } = await setStable(ctx, previousRelease(state));
    stableChanged = changed;
    // A stable still rolling out from an earlier, interrupted rollback is waited for too.
    if (options.wait && (stableChanged || !rolloutStatus(updated).done)) {
      const rolled = await waitStableRolledOut(ctx, previous, options.deadline);
      if (!rolled.ok) waitFailed = rolled.reason;
    }
  }
  if (waitFailed) {
    // Stable's old pods still serve the version being undone: say so in the record, and leave it in
    // flight (rolling-back), so `status` shows it and `grayctl rollback` finishes it once stable can.
    const why = `stable did not roll back to ${previous}: ${waitFailed}`;
    const written = await ctx.store.updateOwned(ctx.owner, (s) => ({ ...s, weight: 0, targetWeight: 0, reason: why }));
    return { state: written.state as UndoState, stableChanged, waitFailed, broughtUp: carries.broughtUp };
  }

  const written = await ctx.store.mutateOwned(ctx.owner, (stored) => {
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
    return {
      state: {
        ...stored.state,
        phase: "rolled-back",
        weight: 0,
        targetWeight: 0,
        reason: options.reason,
        updatedAt: entry.time,
      },
      history: done ? stored.history : [...stored.history, entry],
    };
  });
  return { state: written.state as UndoState, stableChanged, broughtUp: carries.broughtUp };
}
