// Fencing (docs/decisions/007-fencing.md): a process writes for a rollout only
// while it owns it. It owns it while its Lease is fresh by its OWN clocks: the
// last successful renewal was sent less than the renew deadline ago (two thirds
// of the lease duration). Anyone else may take the Lease only after watching it
// unchanged for the whole lease duration, so the owner has stopped before then.
// Every write the kube layer sends asks the fence first, in every retry.
import type { Clock } from "./clock.ts";

/** This process no longer owns the rollout: it must stop without writing anything more. */
export class OwnershipLostError extends Error {}

/** The Lease was taken by another process, or this process's renew deadline passed. */
export class LeaseLostError extends OwnershipLostError {
  /** Who holds the Lease now, when known. */
  readonly holder?: string;
  /** The renew deadline passed: this process stopped on its own clock (nobody may have taken it yet). */
  readonly expired: boolean;
  constructor(options: { holder?: string; expired?: boolean; message?: string }) {
    super(options.message ?? `the rollout lock was taken over by ${options.holder || "nobody (released)"}`);
    this.holder = options.holder;
    this.expired = options.expired ?? false;
  }
}

/** Another process claimed the rollout in its state record (a rollback, a superseding rollout). */
export class SupersededError extends OwnershipLostError {
  readonly by: string;
  constructor(by: string) {
    super(`superseded by ${by}`);
    this.by = by;
  }
}

export function isOwnershipLost(error: unknown): error is OwnershipLostError {
  return error instanceof OwnershipLostError;
}

/** How a Lease of `durationMs` is kept: when its holder renews, retries, and stops. */
export function leaseTiming(durationMs: number) {
  return {
    durationMs,
    renewEveryMs: Math.max(100, Math.floor(durationMs / 4)),
    /** After a failed renewal: soon, so that a blip costs little of the deadline. */
    retryEveryMs: Math.max(100, Math.floor(durationMs / 12)),
    /** The holder stops acting this long after its last successful renewal was sent. */
    renewDeadlineMs: Math.floor((2 * durationMs) / 3),
  };
}

/** When something was sent, on both of this process's clocks. */
export interface Stamp {
  monotonic: number;
  wall: number;
}

export class Fence {
  private readonly clock: Clock;
  readonly renewDeadlineMs: number;
  private renewed?: Stamp;
  private lostWith?: OwnershipLostError;
  private confirm?: () => Promise<void>;
  private previousLapsesAt?: number;

  constructor(clock: Clock, renewDeadlineMs: number) {
    this.clock = clock;
    this.renewDeadlineMs = renewDeadlineMs;
  }

  stamp(): Stamp {
    return { monotonic: this.clock.monotonic(), wall: this.clock.now() };
  }

  /** The Lease was taken or renewed by a request sent at `sent`. A lost fence stays lost (a late answer revives nothing). */
  renewedAt(sent: Stamp): void {
    if (this.lostWith) return;
    if (!this.renewed || sent.monotonic > this.renewed.monotonic) this.renewed = sent;
  }

  lose(error: OwnershipLostError): void {
    // A loss by this process's own deadline may turn out to be a takeover: the more definite reason wins.
    if (!this.lostWith || this.lapsedOnItsOwn) this.lostWith = error;
  }

  /**
   * The Lease ran out by this process's own renew deadline, and nobody is
   * known to have taken it: the API did not answer its renewals, or the
   * process was suspended. Such a Lease may be regained (regainedAt).
   */
  get lapsedOnItsOwn(): boolean {
    const lost = this.lost;
    return lost instanceof LeaseLostError && lost.expired;
  }

  /**
   * The Lease was taken back by a write conditional on a record that still
   * named this process as its holder (Lease.regain): nobody took it meanwhile,
   * so this process owns the rollout again from `sent`. Only a Lease that
   * lapsed on its own can be regained; one taken over, or a rollout claimed
   * by another process, stays lost (and its writes stay refused).
   */
  regainedAt(sent: Stamp): void {
    if (!this.lapsedOnItsOwn) return;
    this.lostWith = undefined;
    this.renewed = sent;
  }

  /** Whether this process ever held the Lease (and so may have writes to fence). */
  get held(): boolean {
    return this.renewed !== undefined;
  }

  /**
   * Milliseconds since the last successful renewal was sent, by the more
   * pessimistic of the two local clocks: the monotonic one does not jump with
   * the system time, but stands still while the machine sleeps (a closed lid);
   * the wall clock catches up after a sleep.
   */
  sinceRenewalMs(): number {
    if (!this.renewed) return Number.POSITIVE_INFINITY;
    const now = this.stamp();
    return Math.max(now.monotonic - this.renewed.monotonic, now.wall - this.renewed.wall);
  }

  /** Why this process may not write now, or undefined while it owns the rollout. */
  get lost(): OwnershipLostError | undefined {
    if (this.lostWith) return this.lostWith;
    if (!this.renewed) return undefined;
    const since = this.sinceRenewalMs();
    if (since <= this.renewDeadlineMs) return undefined;
    this.lostWith = new LeaseLostError({
      expired: true,
      message: `the rollout lock was last renewed ${(since / 1000).toFixed(1)}s ago by this process's clock, beyond its renew deadline of ${(this.renewDeadlineMs / 1000).toFixed(1)}s`,
    });
    return this.lostWith;
  }

  /** Throws unless this process holds a fresh Lease. */
  check(): void {
    const lost = this.lost;
    if (lost) throw lost;
    if (!this.renewed) throw new Error("internal: a write for the rollout before taking its Lease");
  }

  /**
   * Adds a read that confirms ownership before each write (the engine checks the
   * state's owner, so a forced takeover stops this process at its next write,
   * not at its next renewal).
   */
  confirmWith(confirm: () => Promise<void>): void {
    this.confirm = confirm;
  }

  /** Called by the kube layer before every write attempt. */
  async beforeWrite(): Promise<void> {
    this.check();
    if (!this.confirm) return;
    try {
      await this.confirm();
    } catch (error) {
      if (isOwnershipLost(error)) this.lose(error);
      throw error;
    }
    this.check();
  }

  /** A takeover from a holder that may still have been acting: when (monotonic) it can no longer write. */
  previousHolderLapsesAt(at: number | undefined): void {
    this.previousLapsesAt = at;
  }

  /** Whether this process took the Lease from another holder (forced, lapsed, or gone). */
  get tookOver(): boolean {
    return this.previousLapsesAt !== undefined;
  }

  /** Milliseconds until the previous holder's Lease has lapsed (0 when it has, or there was none). */
  previousHolderLapseLeftMs(): number {
    if (this.previousLapsesAt === undefined) return 0;
    return Math.max(0, Math.ceil(this.previousLapsesAt - this.clock.monotonic()));
  }
}
