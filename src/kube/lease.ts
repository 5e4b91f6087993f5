// One rollout per app at a time: a coordination.k8s.io/v1 Lease held while a
// command acts, renewed in the background. An expired Lease (its holder was
// killed) is taken over; a live one is only taken with --force.
import { type V1Lease, V1MicroTime } from "@kubernetes/client-node";
import { ExitCode, GrayctlError } from "../errors.ts";
import type { Clock } from "./clock.ts";
import { MANAGED_BY, names } from "./names.ts";
import type { Cluster } from "./cluster.ts";
import { isAlreadyExists, isConflict } from "./errors.ts";

export interface LeaseInfo {
  holder?: string;
  renewedAt?: number;
  durationMs: number;
  expired: boolean;
}

export function leaseInfo(lease: V1Lease | undefined, now: number): LeaseInfo | undefined {
  if (!lease) return undefined;
  const durationMs = (lease.spec?.leaseDurationSeconds ?? 30) * 1000;
  const renewed = lease.spec?.renewTime ?? lease.spec?.acquireTime;
  const renewedAt = renewed ? new Date(renewed).getTime() : undefined;
  const holder = lease.spec?.holderIdentity || undefined;
  const expired = !holder || renewedAt === undefined || renewedAt + durationMs < now;
  return { holder, renewedAt, durationMs, expired };
}

export class LeaseHeldError extends GrayctlError {
  constructor(app: string, info: LeaseInfo, now: number) {
    const age = info.renewedAt !== undefined ? Math.round((now - info.renewedAt) / 1000) : "?";
    const left =
      info.renewedAt !== undefined ? Math.max(0, Math.round((info.renewedAt + info.durationMs - now) / 1000)) : "?";
    super(
      `another grayctl holds the rollout lock of ${app}: ${info.holder} (renewed ${age}s ago, expires in ${left}s)`,
      {
        exitCode: ExitCode.locked,
        hint: "Wait for it to finish, or take over with --force (e.g. `grayctl rollback --force` in an incident).",
      },
    );
  }
}

export class LeaseLostError extends Error {
  readonly holder: string;
  constructor(holder: string) {
    super(`the rollout lock was taken over by ${holder}`);
    this.holder = holder;
  }
}

export class Lease {
  private readonly cluster: Cluster;
  private readonly app: string;
  private readonly name: string;
  readonly holder: string;
  private readonly durationMs: number;
  private readonly clock: Clock;
  private timer: NodeJS.Timeout | undefined;

  constructor(cluster: Cluster, app: string, holder: string, durationMs: number, clock: Clock) {
    this.cluster = cluster;
    this.app = app;
    this.name = names(app).lease;
    this.holder = holder;
    this.durationMs = durationMs;
    this.clock = clock;
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
        resourceVersion: lease?.metadata?.resourceVersion,
      },
      spec: {
        holderIdentity: this.holder,
        leaseDurationSeconds: Math.ceil(this.durationMs / 1000),
        acquireTime: takingOver || !lease?.spec?.acquireTime ? now : new V1MicroTime(lease.spec.acquireTime),
        renewTime: now,
        leaseTransitions: (lease?.spec?.leaseTransitions ?? 0) + (takingOver && lease ? 1 : 0),
      },
    };
  }

  /** Takes the lock; throws LeaseHeldError (exit 5) when a live holder has it and force is not set. */
  async acquire(options: { force?: boolean } = {}): Promise<{ tookOverFrom?: string }> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.cluster.getLease(this.name);
      const info = leaseInfo(current, this.clock.now());
      if (info && !info.expired && info.holder !== this.holder && !options.force) {
        throw new LeaseHeldError(this.app, info, this.clock.now());
      }
      try {
        if (current) await this.cluster.replaceLease(this.spec(current));
        else await this.cluster.createLease(this.spec());
        const previous = info?.holder && info.holder !== this.holder ? info.holder : undefined;
        return { tookOverFrom: previous };
      } catch (error) {
        if (!isConflict(error) && !isAlreadyExists(error)) throw error;
      }
    }
    throw new GrayctlError(`the Lease ${this.name} kept changing while taking it; try again`, {
      exitCode: ExitCode.locked,
    });
  }

  /** Renews; throws LeaseLostError when someone else holds it now. */
  async renew(): Promise<void> {
    const current = await this.cluster.getLease(this.name);
    const holder = current?.spec?.holderIdentity;
    if (holder !== this.holder) throw new LeaseLostError(holder || "nobody (released)");
    try {
      await this.cluster.replaceLease(this.spec(current));
    } catch (error) {
      if (!isConflict(error)) throw error;
      const again = await this.cluster.getLease(this.name);
      if (again?.spec?.holderIdentity !== this.holder)
        throw new LeaseLostError(again?.spec?.holderIdentity || "nobody");
    }
  }

  /** Renews every third of the duration; calls onLost once if the lock is taken over. */
  keepAlive(onLost: (error: LeaseLostError) => void): void {
    const interval = Math.max(200, Math.floor(this.durationMs / 3));
    const tick = async () => {
      try {
        await this.renew();
      } catch (error) {
        if (error instanceof LeaseLostError) {
          this.stop();
          onLost(error);
          return;
        }
        // A transient failure: the next tick tries again before the lease expires.
      }
      if (this.timer) this.timer = setTimeout(tick, interval);
    };
    this.timer = setTimeout(tick, interval);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Gives the lock up if we still hold it. */
  async release(): Promise<void> {
    this.stop();
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
