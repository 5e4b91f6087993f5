// `grayctl status --watch`: polls and hands on every change until the rollout
// ends, the user presses Ctrl-C, or the deadline passes. Polling (not a watch
// stream) because status combines four objects and a poll survives API restarts.
import type { Clock } from "../kube/clock.ts";
import type { StatusView } from "./status.ts";

export type WatchEnd = "ended" | "not-in-flight" | "interrupted" | "timeout";

/** What counts as a change: ages tick every second and are left out. */
export function changeKey(view: StatusView): string {
  return JSON.stringify({
    ...view,
    sinceSeconds: undefined,
    lease: view.lease && { ...view.lease, ageSeconds: undefined, renewedAt: undefined, unchangedSeconds: undefined },
  });
}

export async function watchStatus(options: {
  read: () => Promise<StatusView>;
  onChange: (view: StatusView) => void;
  clock: Clock;
  intervalMs: number;
  deadline: number;
  signal: AbortSignal;
}): Promise<{ end: WatchEnd; last: StatusView }> {
  let last = await options.read();
  options.onChange(last);
  if (!last.inFlight) return { end: "not-in-flight", last };
  let key = changeKey(last);
  for (;;) {
    const left = options.deadline - options.clock.now();
    if (left <= 0) return { end: "timeout", last };
    try {
      await options.clock.sleep(Math.min(options.intervalMs, left), options.signal);
    } catch (error) {
      if (options.signal.aborted) return { end: "interrupted", last };
      throw error;
    }
    let view: StatusView;
    try {
      view = await options.read();
    } catch (error) {
      if (options.signal.aborted) return { end: "interrupted", last };
      throw error;
    }
    const next = changeKey(view);
    if (next !== key) {
      key = next;
      last = view;
      options.onChange(view);
    }
    if (!view.inFlight) return { end: "ended", last: view };
  }
}
