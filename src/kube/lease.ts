// One rollout per app at a time: a coordination.k8s.io/v1 Lease held while a
// command acts, renewed in the background. Its holder's clock is never compared
// with ours (lease-record.ts): a Lease is taken without --force when it is free,
// when its holder ran on this machine and is gone, or after this process watched
// it unchanged for the whole lease duration. While held, the Lease feeds the
// fence (fence.ts) that every write of the rollout passes.
import { type V1Lease, V1MicroTime } from "@kubernetes/client-node";
import { ExitCode, GrayctlError } from "../errors.ts";
import type { Clock } from "./clock.ts";
import type { Cluster } from "./cluster.ts";
import { isAlreadyExists, isConflict } from "./errors.ts";
import { type Fence, LeaseLostError, leaseTiming, type OwnershipLostError } from "./fence.ts";
import {
  describeHolder,
  HOLDER_JOB,
  HOLDER_MACHINE,
  HOLDER_PID,
  holderRecord,
  judgeLease,
  type LeaseInfo,
  LeaseObserver,
  type LocalProcesses,
} from "./lease-record.ts";
import { MANAGED_BY, names } from "./names.ts";

const seconds = (ms: number) => `${Math.max(0, Math.round(ms / 1000))}s`;

export class LeaseHeldError extends GrayctlError {
  constructor(app: string, info: LeaseInfo, now: number) {
    // Its clock against ours: shown as such (negative when its clock runs ahead), never judged.
    const age =
      info.renewedAt !== undefined ? `renewed ${Math.round((now - info.renewedAt) / 1000)}s ago by its clock` : "";
    const seen = info.basis === "live" ? "seen renewing from here" : "not seen renewing yet";
    super(
      `another grayctl holds the rollout lock of ${app}: ${info.holder} (${[age, seen].filter(Boolean).join(", ")}; if it stops renewing, its Lease expires ${seconds(info.durationMs)} after its last renewal)`,
      {
        exitCode: ExitCode.locked,
        hint: "Wait for it to finish, or stop it: `grayctl rollback` (or `abort`) takes a rollout in flight over. --force is for a holder whose process is dead or hung: a live holder then stops at its next write.",
      },
    );
  }
}

export interface Acquired {
  tookOverFrom?: string;
  /** Whom it was taken from, as people read it (user, host, pid, CI job when known). */
  tookOverFromDescribed?: string;
  /** Why the Lease could be taken. */
  basis: "free" | "ours" | "process-gone" | "lapsed" | "forced";
}

export class Lease {
  private readonly cluster: Cluster;
  private readonly app: string;
  private readonly name: string;
  readonly holder: string;
  private readonly timing: ReturnType<typeof leaseTiming>;
  private readonly clock: Clock;
  readonly fence: Fence;
  private readonly processes: LocalProcesses;
  /** The CI job this process runs in (its URL), written beside the holder. */
  private readonly job?: string;
  /** How much longer than its duration a Lease must be seen unchanged before it counts as lapsed (the guard's grace). */
  private readonly graceMs: number;
  /** What this process has seen of the Lease (status --watch keeps watching through it). */
  private readonly observer = new LeaseObserver();
  private timer: NodeJS.Timeout | undefined;
  /** keepAlive's listener, kept so that a regained Lease is kept alive again. */
  private onLost?: (error: OwnershipLostError) => void;

  constructor(
    cluster: Cluster,
    app: string,
    identity: { holder: string; processes: LocalProcesses; job?: string; graceMs?: number; name?: string },
    durationMs: number,
    fence: Fence,
  ) {
    this.cluster = cluster;
    this.app = app;
    // Another lock of the app than its rollout's: a release across targets (issue 22).
    this.name = identity.name ?? names(app).lease;
    this.holder = identity.holder;
    this.processes = identity.processes;
    this.job = identity.job;
    this.graceMs = identity.graceMs ?? 0;
    this.timing = leaseTiming(durationMs);
    this.clock = cluster.clock;
    this.fence = fence;
  }

  /** What the Lease says now, judged by what this process has seen of it. */
  async read(): Promise<LeaseInfo | undefined> {
    const lease = await this.cluster.getLease(this.name);
    return this.judge(lease);
  }

  private judge(lease: V1Lease | undefined): LeaseInfo | undefined {
    const record = holderRecord(lease);
    const seen = this.observer.observe(record, this.clock.monotonic());
    return judgeLease(record, seen, { owner: this.holder, processes: this.processes, graceMs: this.graceMs });
  }

  private spec(lease?: V1Lease): V1Lease {
    // Lease times are MicroTime: the API server refuses fewer than six fractional digits.
    const now = new V1MicroTime(this.clock.now());
    const takingOver = lease?.spec?.holderIdentity !== this.holder;
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: this.name,
        namespace: this.cluster.namespace,
        labels: { app: this.app, ...MANAGED_BY },
        annotations: {
          ...withoutJob(lease?.metadata?.annotations),
          [HOLDER_MACHINE]: this.processes.machine,
          [HOLDER_PID]: String(this.processes.pid),
          ...(this.job ? { [HOLDER_JOB]: this.job } : {}),
        },
        // The write is conditional on the record that was judged: 409 if anyone wrote since.
        resourceVersion: lease?.metadata?.resourceVersion,
      },
      spec: {
        holderIdentity: this.holder,
        leaseDurationSeconds: Math.ceil(this.timing.durationMs / 1000),
        acquireTime: takingOver || !lease?.spec?.acquireTime ? now : new V1MicroTime(lease.spec.acquireTime),
        renewTime: now,
        leaseTransitions: (lease?.spec?.leaseTransitions ?? 0) + (takingOver && lease ? 1 : 0),
      },
    };
  }

  /**
   * Takes the lock. A live holder means LeaseHeldError (exit 5) unless `force`;
   * a holder that is not known to be gone is watched (up to its lease duration)
   * until it renews (live) or its Lease lapses.
   */
  async acquire(
    options: {
      force?: boolean;
      signal?: AbortSignal;
      onWatch?: (info: LeaseInfo) => void;
      /** Judge (watching a held Lease as acquire does) but write nothing: the guard's `hold`. */
      observeOnly?: boolean;
    } = {},
  ): Promise<Acquired> {
    for (let attempt = 0; attempt < 5; attempt++) {
      let current = await this.cluster.getLease(this.name);
      const readAt = this.clock.monotonic();
      let info = this.judge(current);
      let basis: Acquired["basis"] | undefined =
        !info || info.basis === "free" ? "free" : info.basis === "ours" ? "ours" : undefined;
      if (!basis && info?.basis === "process-gone") basis = "process-gone";
      if (!basis && options.force) basis = "forced";
      if (!basis && info) {
        options.onWatch?.(info);
        const watched = await this.watch(options.signal);
        if (watched.info?.basis !== "lapsed") continue; // it changed hands or was released: judge again
        current = watched.lease;
        info = watched.info;
        basis = "lapsed";
      }
      if (options.observeOnly) return { tookOverFrom: info?.holder, basis: basis ?? "free" };
      const sent = this.fence.stamp();
      try {
        if (current) await this.cluster.replaceLease(this.spec(current));
        else await this.cluster.createLease(this.spec());
      } catch (error) {
        if (!isConflict(error) && !isAlreadyExists(error)) throw error;
        continue;
      }
      this.fence.renewedAt(sent);
      // A holder forced out may have been about to write; it stops by its renew deadline,
      // and its last renewal was sent before our read. Its writes in flight then land.
      if (basis === "forced") this.fence.previousHolderLapsesAt(readAt + (info?.durationMs ?? 0));
      else if (basis === "lapsed" || basis === "process-gone") this.fence.previousHolderLapsesAt(readAt);
      const previous = info?.holder && info.holder !== this.holder ? info.holder : undefined;
      return {
        tookOverFrom: previous,
        tookOverFromDescribed: previous
          ? describeHolder({ holder: previous, job: holderRecord(current)?.job })
          : undefined,
        basis: basis ?? "free",
      };
    }
    throw new GrayctlError(`the Lease ${this.name} kept changing while taking it; try again`, {
      exitCode: ExitCode.locked,
    });
  }

  /** Watches a held Lease until it lapses, or throws LeaseHeldError as soon as it is seen renewing. */
  private async watch(signal?: AbortSignal): Promise<{ lease?: V1Lease; info?: LeaseInfo }> {
    const pollMs = Math.min(1_000, Math.max(100, Math.floor(this.timing.durationMs / 10)));
    for (;;) {
      try {
        await this.clock.sleep(pollMs, signal);
      } catch {
        throw new GrayctlError(`interrupted while waiting for the rollout lock of ${this.app}`, {
          exitCode: ExitCode.locked,
        });
      }
      const lease = await this.cluster.getLease(this.name);
      const info = this.judge(lease);
      if (!info || info.basis === "free" || info.basis === "process-gone" || info.basis === "lapsed")
        return { lease, info };
      if (info.basis === "live") throw new LeaseHeldError(this.app, info, this.clock.now());
    }
  }

  /** Renews; throws LeaseLostError when someone else holds it now or the renew deadline passed. */
  async renew(): Promise<void> {
    this.fence.check();
    const sent = this.fence.stamp();
    // A renewal never outlives the renew deadline: past it, this process has stopped anyway.
    const budget = {
      deadline: this.clock.now() + Math.max(0, this.fence.renewDeadlineMs - this.fence.sinceRenewalMs()),
    };
    const current = await this.cluster.getLease(this.name, budget);
    const holder = current?.spec?.holderIdentity;
    if (holder !== this.holder) throw new LeaseLostError({ holder: holder || undefined });
    this.fence.check();
    try {
      await this.cluster.replaceLease(this.spec(current), budget);
      this.fence.renewedAt(sent);
    } catch (error) {
      if (!isConflict(error)) throw error;
      const again = await this.cluster.getLease(this.name, budget);
      if (again?.spec?.holderIdentity !== this.holder)
        throw new LeaseLostError({ holder: again?.spec?.holderIdentity || undefined });
      throw error;
    }
  }

  /**
   * Renews every quarter of the duration (sooner after a failure) and calls
   * onLost once when the Lease is taken over or the renew deadline passes —
   * also while a renewal hangs.
   */
  keepAlive(onLost: (error: OwnershipLostError) => void): void {
    this.stop();
    this.onLost = onLost;
    const { renewEveryMs, retryEveryMs } = this.timing;
    let renewing = false;
    let nextRenewal = this.clock.monotonic() + renewEveryMs;
    const tick = () => {
      const lost = this.fence.lost;
      if (lost) {
        this.stop();
        onLost(lost);
        return;
      }
      if (!renewing && this.clock.monotonic() >= nextRenewal) {
        renewing = true;
        this.renew()
          .then(
            () => {
              nextRenewal = this.clock.monotonic() + renewEveryMs;
            },
            (error) => {
              if (error instanceof LeaseLostError) this.fence.lose(error);
              nextRenewal = this.clock.monotonic() + retryEveryMs;
            },
          )
          .finally(() => {
            renewing = false;
          });
      }
      this.timer = setTimeout(tick, Math.min(retryEveryMs, 250));
    };
    this.timer = setTimeout(tick, Math.min(retryEveryMs, 250));
  }

  /**
   * Takes the Lease back after it lapsed by this process's own renew deadline
   * (an API outage, a suspended process), if nobody took it meanwhile: the
   * record still names this process as its holder — anyone taking it writes
   * their own name, a release writes none, and only this process writes its
   * own — and the write is conditional on that record. Throws LeaseLostError
   * when another process holds it or it was released (the rollout is lost for
   * good), and the Kubernetes API's errors as they come.
   */
  async regain(): Promise<void> {
    if (!this.fence.lapsedOnItsOwn) return;
    for (let attempt = 0; attempt < 3; attempt++) {
      const sent = this.fence.stamp();
      const current = await this.cluster.getLease(this.name);
      const holder = current?.spec?.holderIdentity;
      if (!current || holder !== this.holder) {
        const lost = new LeaseLostError({ holder: holder || undefined });
        this.fence.lose(lost);
        throw lost;
      }
      try {
        await this.cluster.replaceLease(this.spec(current));
      } catch (error) {
        if (isConflict(error)) continue; // it changed since the read: judge it again
        throw error;
      }
      this.fence.regainedAt(sent);
      if (this.onLost) this.keepAlive(this.onLost);
      return;
    }
    throw new GrayctlError(`the Lease ${this.name} kept changing while taking it back`, { exitCode: ExitCode.locked });
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Gives the lock up if this process still owns it; a process that lost it writes nothing. */
  async release(): Promise<void> {
    this.stop();
    if (!this.fence.held || this.fence.lost) return;
    const current = await this.cluster.getLease(this.name);
    if (current?.spec?.holderIdentity !== this.holder) return;
    try {
      await this.cluster.replaceLease({
        ...current,
        spec: { ...current.spec, holderIdentity: "", renewTime: new V1MicroTime(this.clock.now()) },
      });
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }
}

/** A previous holder's CI job is not ours: dropped unless this process writes its own. */
function withoutJob(annotations: Record<string, string> | undefined): Record<string, string> {
  const { [HOLDER_JOB]: _theirs, ...rest } = annotations ?? {};
  return rest;
}
