// Holding the app's Lease around an action, shared by rollout, promote/resume
// and rollback. A process that loses the rollout (someone forced a takeover, or
// its own renew deadline passed) is aborted and, once it stops, writes nothing
// more — not even the Lease: the fence refuses its writes.
import type { Acquired, Lease } from "../kube/lease.ts";
import type { LeaseInfo } from "../kube/lease-record.ts";
import type { Reporter } from "../output/types.ts";

export interface LeaseHolder {
  lease: Lease;
  /** Aborted with the OwnershipLostError when the rollout is lost. */
  abort: AbortController;
  reporter: Reporter;
  /** What the Lease locks, as messages say it (default: the rollout lock). */
  lockName?: string;
}

export async function withLease<T>(
  holder: LeaseHolder,
  force: boolean,
  act: (acquired: Acquired) => Promise<T>,
): Promise<T> {
  const { lease, abort, reporter } = holder;
  const lock = holder.lockName ?? "rollout lock";
  const acquired = await lease.acquire({
    force,
    signal: abort.signal,
    onWatch: (info) => reporter.info(watching(info, lock)),
  });
  reporter.debug(`Lease taken at ${Math.round(performance.now())} ms (${acquired.basis})`);
  if (acquired.tookOverFrom)
    reporter.warn(
      `took the ${lock} over from ${acquired.tookOverFromDescribed ?? acquired.tookOverFrom} (${acquired.basis}); it stops at its next write`,
    );
  lease.keepAlive((error) => abort.abort(error));
  try {
    return await act(acquired);
  } finally {
    // A process that lost the rollout leaves the Lease to whoever has it (release() writes nothing then).
    await lease.release().catch(() => {});
  }
}

function watching(info: LeaseInfo, lock: string): string {
  const seconds = Math.round(info.durationMs / 1000);
  return `the ${lock} is held by ${info.holder}; watching it for up to ${seconds}s to see whether its holder still renews it (--force takes it now if that process is dead)`;
}
