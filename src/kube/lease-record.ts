// What a Lease says about its holder, and whether it may be taken over, judged
// only from what this process observed — as client-go's leader election does:
// a Lease is expired when its record (holder, renewTime, resourceVersion) stayed
// unchanged for the lease duration on this process's monotonic clock. The
// holder's renewTime is another machine's clock: shown, never compared with ours.
import type { V1Lease } from "@kubernetes/client-node";

/** Written by the holder so that a process on the same machine can tell whether it is still running. */
export const HOLDER_MACHINE = "grayctl.dev/holder-machine";
export const HOLDER_PID = "grayctl.dev/holder-pid";
/** The CI job the holder runs in (its URL), when it runs in one: named to whoever takes the rollout over. */
export const HOLDER_JOB = "grayctl.dev/holder-job";

export interface LocalProcesses {
  /** This machine's identity (hostname, boot, PID namespace): processes with the same one see each other's PIDs. */
  machine: string;
  pid: number;
  /** Whether a process with this PID runs on this machine. */
  alive(pid: number): boolean;
}

export interface HolderRecord {
  holder?: string;
  /** The holder's renewTime, by ITS clock. */
  renewTime?: string;
  resourceVersion?: string;
  durationMs: number;
  machine?: string;
  pid?: number;
  job?: string;
}

export function holderRecord(lease: V1Lease | undefined): HolderRecord | undefined {
  if (!lease) return undefined;
  const renewed = lease.spec?.renewTime ?? lease.spec?.acquireTime;
  const pid = Number(lease.metadata?.annotations?.[HOLDER_PID]);
  return {
    holder: lease.spec?.holderIdentity || undefined,
    renewTime: renewed ? new Date(renewed).toISOString() : undefined,
    resourceVersion: lease.metadata?.resourceVersion,
    durationMs: (lease.spec?.leaseDurationSeconds ?? 30) * 1000,
    machine: lease.metadata?.annotations?.[HOLDER_MACHINE],
    pid: Number.isInteger(pid) && pid > 0 ? pid : undefined,
    job: lease.metadata?.annotations?.[HOLDER_JOB] || undefined,
  };
}

/**
 * "alice on ci-runner-7 (pid 4242, CI job https://…)": a holder for people. Its identity is
 * `user@host/pid/nonce` (cli/shared/actor.ts ownerId); one in another shape is shown as it is.
 */
export function describeHolder(record: Pick<HolderRecord, "holder" | "job">): string {
  const match = /^(?<user>[^@/\s]+)@(?<host>[^/\s]+)\/(?<pid>\d+)\//.exec(record.holder ?? "");
  const job = record.job ? `CI job ${record.job}` : undefined;
  if (!match?.groups) return [record.holder ?? "an unknown holder", job && `(${job})`].filter(Boolean).join(" ");
  const { user, host, pid } = match.groups;
  return `${user} on ${host} (${[`pid ${pid}`, job].filter(Boolean).join(", ")})`;
}

const recordKey = (r: HolderRecord | undefined) => JSON.stringify([r?.holder, r?.renewTime, r?.resourceVersion]);

/** Remembers a Lease's record and since when (monotonic) it has looked the same. */
export class LeaseObserver {
  private key?: string;
  private since = 0;
  private changes = 0;

  /** Records a read made at monotonic time `at`. */
  observe(
    record: HolderRecord | undefined,
    at: number,
  ): { unchangedMs: number; changed: boolean; seenChanging: boolean } {
    const key = recordKey(record);
    const changed = this.key !== undefined && key !== this.key;
    if (key !== this.key) {
      if (changed) this.changes += 1;
      this.key = key;
      this.since = at;
    }
    return { unchangedMs: at - this.since, changed, seenChanging: this.changes > 0 };
  }
}

/**
 * Why a Lease may be taken without --force (free, ours, process-gone, lapsed),
 * or why not (live: seen renewing; unconfirmed: not watched long enough).
 */
export type LeaseBasis = "free" | "ours" | "process-gone" | "lapsed" | "live" | "unconfirmed";

export interface LeaseInfo {
  holder?: string;
  /** The holder's renewTime in ms since the epoch, by its clock. */
  renewedAt?: number;
  durationMs: number;
  basis: LeaseBasis;
  /** It may be taken over now without --force. */
  expired: boolean;
  /** How long this process has seen the record unchanged. */
  unchangedMs: number;
  /** The holder runs on this machine. */
  local: boolean;
}

export function judgeLease(
  record: HolderRecord | undefined,
  seen: { unchangedMs: number; seenChanging: boolean },
  self: { owner: string; processes: LocalProcesses; graceMs?: number },
): LeaseInfo | undefined {
  if (!record) return undefined;
  const local = record.machine !== undefined && record.machine === self.processes.machine;
  const basis: LeaseBasis = !record.holder
    ? "free"
    : record.holder === self.owner
      ? "ours"
      : local && record.pid !== undefined && !self.processes.alive(record.pid)
        ? "process-gone"
        : seen.unchangedMs >= record.durationMs + (self.graceMs ?? 0)
          ? "lapsed"
          : seen.seenChanging
            ? "live"
            : "unconfirmed";
  return {
    holder: record.holder,
    renewedAt: record.renewTime ? Date.parse(record.renewTime) : undefined,
    durationMs: record.durationMs,
    basis,
    expired: basis === "free" || basis === "process-gone" || basis === "lapsed",
    unchangedMs: seen.unchangedMs,
    local,
  };
}
