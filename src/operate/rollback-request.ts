// What `grayctl rollback` and `abort` are asked, and what they answer: shared by
// the recorded-state path (rollback.ts) and the objects-only path
// (rollback-from-objects.ts), so neither imports the other's module for them.
import type { Outcome as RolloutOutcome } from "../rollout/context.ts";

/** A rollout outcome, or a rollback that put traffic on stable but ran out of time waiting for it. */
export type Outcome = Omit<RolloutOutcome, "outcome"> & { outcome: RolloutOutcome["outcome"] | "timeout" };

export interface RollbackRequest {
  mode: "rollback" | "abort";
  reason?: string;
  toRevision?: number;
  /** Wait for stable to roll out after a promotion is undone. */
  wait: boolean;
  /** Take a live holder's Lease. abort implies it: stopping a live rollout is its purpose. */
  force: boolean;
  /**
   * Called once the router sends 100 % to stable (the rollback's latency figure), with when that
   * write landed (performance.now()) when it went out before the state read; never when there
   * turns out to be nothing to undo. Awaited before the rollback's next write (the scale-down): a caller
   * may hold it there (`rollback --all` does, until every target's traffic is on stable).
   */
  onStable?: (landedAtMs?: number) => void | Promise<void>;
}
