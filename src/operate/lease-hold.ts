// Holding the app's Lease around an action, shared by rollout, promote/resume
// and rollback. A process that loses the Lease (someone forced a takeover) is
// aborted and, once it stops, writes nothing more — not even the Lease.
import { LeaseLostError, type Lease } from "../kube/lease.ts";
import type { Reporter } from "../output/types.ts";

export interface LeaseHolder {
  lease: Lease;
  /** Aborted with the LeaseLostError when the Lease is taken over. */
  abort: AbortController;
  reporter: Reporter;
}

export async function withLease<T>(
  holder: LeaseHolder,
  force: boolean,
  act: () => Promise<T>,
  /** Results that mean "someone else owns the rollout now": the Lease is then left alone. */
  superseded: (result: T) => boolean,
): Promise<T> {
  const { lease, abort, reporter } = holder;
  const acquired = await lease.acquire({ force });
  reporter.debug(`Lease taken at ${Math.round(performance.now())} ms`);
  if (acquired.tookOverFrom) reporter.warn(`took the rollout lock over from ${acquired.tookOverFrom}`);
  let lost = false;
  lease.keepAlive((error) => {
    lost = true;
    abort.abort(error);
  });
  try {
    const result = await act();
    lost ||= superseded(result);
    return result;
  } finally {
    lease.stop();
    if (!lost) await lease.release().catch(() => {});
  }
}

/** Whether the action was stopped because another process took the Lease. */
export function leaseLost(abort: AbortController): boolean {
  return abort.signal.reason instanceof LeaseLostError;
}
