// Keeps the release record (record.ts) in step with the release (release.ts):
// each change is written in order, one write at a time. A write that fails is
// said once and the release goes on — the record lets a re-run continue, it is
// not what keeps a target safe (each target's own state and Lease do that) —
// except when this process no longer holds the release: then the Lease's loss
// has already stopped the release, and the write is refused by the fence.
import type { ReleaseChange } from "./release.ts";
import { REACHED, type ReleaseRecord } from "./record.ts";
import type { ReleaseRecordStore } from "./record-store.ts";

export interface RecordKeeper {
  /** The record as last written (or as it would be, had the write gone through). */
  readonly record: ReleaseRecord;
  /** Records a change of the release; resolves once it is written (or its write failed and was said). */
  change(change: ReleaseChange): Promise<void>;
}

export function keepRecord(
  store: ReleaseRecordStore,
  first: ReleaseRecord,
  options: { now: () => string; warn: (message: string) => void },
): RecordKeeper {
  let record = first;
  let queue = Promise.resolve();
  let warned = false;
  const write = (next: ReleaseRecord) => {
    queue = queue.then(async () => {
      try {
        await store.write(next);
      } catch (error) {
        if (warned) return;
        warned = true;
        options.warn(
          `the release record (${store.where}) could not be written: ${(error as Error).message}; the release goes on, but a re-run may not know which wave it reached`,
        );
      }
    });
    return queue;
  };
  return {
    get record() {
      return record;
    },
    change(change) {
      const now = options.now();
      const targets = { ...record.targets };
      for (const [name, entry] of Object.entries(change.targets)) {
        const before = targets[name] ?? { wave: entry.wave };
        const reached = REACHED.has(entry.rollout ?? "") && !before.reachedAt ? now : before.reachedAt;
        targets[name] = {
          ...before,
          wave: entry.wave,
          rollout: entry.rollout,
          rollback: entry.rollback,
          reachedAt: reached,
          revision: change.revisions?.[name] ?? before.revision,
        };
      }
      record = {
        ...record,
        wave: change.wave,
        status: change.status,
        message: change.message,
        endedAt: change.status === "running" ? undefined : now,
        targets,
      };
      return write(record);
    },
  };
}
