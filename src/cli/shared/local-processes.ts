// This machine and process as the Lease records them: a holder that ran on the
// same machine (same hostname, same boot, same PID namespace, so its PID means
// the same process here) and whose PID is gone can be taken over at once.
import { createHash } from "node:crypto";
import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";
import type { LocalProcesses } from "../../kube/lease-record.ts";

/** Linux-only facts; elsewhere the hostname alone names the machine. */
function orEmpty(read: () => string): string {
  try {
    return read().trim();
  } catch {
    return "";
  }
}

export function localProcesses(pid: number): LocalProcesses {
  const bootId = orEmpty(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8"));
  const pidNamespace = orEmpty(() => readlinkSync("/proc/self/ns/pid"));
  const machine = createHash("sha256").update(`${hostname()}\n${bootId}\n${pidNamespace}`).digest("hex").slice(0, 16);
  return {
    machine,
    pid,
    alive(other) {
      try {
        process.kill(other, 0);
        return true;
      } catch (error) {
        // EPERM: it exists but belongs to another user.
        return (error as NodeJS.ErrnoException).code === "EPERM";
      }
    },
  };
}
