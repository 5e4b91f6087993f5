// `rollback --all` (issue 22): every target's traffic goes to stable before any
// target makes its other writes (scale-down, the previous digest on stable).
// Each target's rollback arrives here right after its router write and waits
// until every target has arrived, or has left (failed, or had nothing to undo),
// or the deadline has passed: one target whose API does not answer holds the
// others for at most the deadline, never longer. Pure: no Kubernetes here.
import type { Clock } from "../kube/clock.ts";

export interface Barrier {
  /** This target's traffic is on stable: resolves when every target's is, or left, or the deadline passed. */
  arrive(name: string): Promise<void>;
  /** This target will not arrive (it failed, or had nothing to undo): nobody waits for it. */
  leave(name: string): void;
  /** The targets that had neither arrived nor left when the deadline passed (empty if it did not pass). */
  readonly overdue: readonly string[];
}

export function createBarrier(names: readonly string[], options: { clock: Clock; deadlineMs: number }): Barrier {
  const waiting = new Set(names);
  const overdue: string[] = [];
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const stopTimer = new AbortController();
  options.clock.sleep(options.deadlineMs, stopTimer.signal).then(
    () => {
      overdue.push(...waiting);
      open();
    },
    () => {},
  );
  const settle = (name: string) => {
    waiting.delete(name);
    if (waiting.size > 0) return;
    stopTimer.abort();
    open();
  };
  if (names.length === 0) settle("");
  return {
    arrive(name) {
      settle(name);
      return opened;
    },
    leave: settle,
    overdue,
  };
}
