// Progress in a log (CI, a pipe, --output json) is a line per change of state,
// plus one every HEARTBEAT_MS while nothing changes so that a quiet log still
// shows the command is alive. A countdown ticking every second is not a change:
// a default rollout once wrote 300 such lines. The TTY reporter redraws its
// spinner instead and sees every update.

export const HEARTBEAT_MS = 15_000;

/**
 * Returns the update function of one progress: `print` is called for an update
 * whose state (its text without what merely ticks, e.g. "· 41s left"; the whole
 * text when no state is given) differs from the last one printed, or when the
 * last line is HEARTBEAT_MS old.
 */
export function throttledUpdates(
  now: () => Date,
  startText: string,
  print: (text: string) => void,
): (text: string, state?: string) => void {
  let lastState = startText;
  let lastAt = now().getTime();
  return (text, state = text) => {
    const at = now().getTime();
    if (state === lastState && at - lastAt < HEARTBEAT_MS) return;
    lastState = state;
    lastAt = at;
    print(text);
  };
}
