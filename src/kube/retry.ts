// Retries for transient API failures (5xx, 429 honouring Retry-After, reset
// connections) with exponential backoff, jitter and a deadline; a cancelled
// signal ends them at once. Conflicts are not retried here: the caller must
// re-read before writing again.
import { GrayctlError, ExitCode } from "../errors.ts";
import type { Clock } from "./clock.ts";
import { describeApiError } from "./errors.ts";
import { isOwnershipLost } from "./fence.ts";

/** A call's transient failures outlasted its retry budget: the Kubernetes API is down or unreachable from here. */
export class ApiUnavailableError extends GrayctlError {
  constructor(message: string, cause: unknown) {
    super(message, { exitCode: ExitCode.timeout, cause });
    this.name = "ApiUnavailableError";
  }
}

export interface RetryOptions {
  clock: Clock;
  /** Absolute time (ms since epoch) after which no new attempt starts. */
  deadline?: number;
  signal?: AbortSignal;
  what: string;
  /** Told about each retry, e.g. to say once that the API is not answering. */
  onRetry?: (message: string, attempt: number) => void;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export async function withRetry<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const deadline = options.deadline ?? options.clock.now() + 30_000;
  const base = options.baseDelayMs ?? 100;
  const max = options.maxDelayMs ?? 2_000;
  for (let attempt = 0; ; attempt++) {
    // A cancelled caller sends nothing more: not the next attempt, not the first.
    if (options.signal?.aborted) throw options.signal.reason;
    try {
      return await operation();
    } catch (error) {
      // A process that lost the rollout stops at once; nothing to retry.
      if (isOwnershipLost(error)) throw error;
      const failure = describeApiError(error);
      if (!failure.transient) throw error;
      const backoff = Math.min(max, base * 2 ** attempt) * (0.5 + Math.random() / 2);
      const delay = Math.max(backoff, failure.retryAfterMs ?? 0);
      if (options.clock.now() + delay > deadline) {
        throw new ApiUnavailableError(
          `${options.what}: the Kubernetes API kept failing (${failure.message}); gave up after ${attempt + 1} attempts`,
          error,
        );
      }
      options.onRetry?.(`${options.what}: ${failure.message}; retrying until the deadline`, attempt + 1);
      await options.clock.sleep(delay, options.signal);
    }
  }
}

/** A retry listener that speaks once per process: the first retry names the server, later ones stay quiet. */
export function warnOnce(server: string, warn: (message: string) => void): (message: string, attempt: number) => void {
  let warned = false;
  return (message) => {
    if (warned) return;
    warned = true;
    warn(`the Kubernetes API at ${server} is not answering as it should (${message})`);
  };
}
