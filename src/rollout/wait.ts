// The one polling loop: every wait names what it waits for and has a deadline.
import { ExitCode, GrayctlError } from "../errors.ts";
import type { Clock } from "../kube/clock.ts";

export class DeadlineError extends GrayctlError {
  constructor(what: string, lastSeen: string) {
    super(`timed out waiting for ${what}${lastSeen ? ` (last seen: ${lastSeen})` : ""}`, {
      exitCode: ExitCode.timeout,
    });
  }
}

export interface WaitOptions {
  clock: Clock;
  deadline: number;
  what: string;
  intervalMs?: number;
  signal?: AbortSignal;
}

/**
 * Polls `check` until it returns { done: true }. `check` may return
 * { fail: reason } to stop early (e.g. a crash loop). Throws DeadlineError.
 */
export async function waitUntil<T>(
  check: () => Promise<{ done: true; value: T } | { done: false; status: string } | { fail: string }>,
  options: WaitOptions,
): Promise<{ ok: true; value: T } | { ok: false; reason: string }> {
  let status = "";
  for (;;) {
    const outcome = await check();
    if ("fail" in outcome) return { ok: false, reason: outcome.fail };
    if (outcome.done) return { ok: true, value: outcome.value };
    status = outcome.status;
    const left = options.deadline - options.clock.now();
    if (left <= 0) throw new DeadlineError(options.what, status);
    await options.clock.sleep(Math.min(options.intervalMs ?? 500, left), options.signal);
  }
}
