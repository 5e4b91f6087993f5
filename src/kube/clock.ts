// Time as a service, so the core never reads Date.now() and waits are testable.

export interface Clock {
  /** Wall-clock time, ms since the epoch: for records other machines read (renewTime, timestamps). */
  now(): number;
  /**
   * Milliseconds on this process's monotonic clock (performance.now): never
   * jumps with NTP or a changed system time. For measuring how long ago
   * something happened here; meaningless on another machine.
   */
  monotonic(): number;
  /** Resolves after ms, or rejects with the signal's reason when it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/** A clock whose wall time runs `skewMs` ahead (behind, if negative): a machine with a wrong clock. */
export function skewedClock(clock: Clock, skewMs: number): Clock {
  return { ...clock, now: () => clock.now() + skewMs };
}
