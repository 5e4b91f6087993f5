// Writes one pod's status through pods/status, as kubelet's status manager:
// only when what the agent reports differs from what the API server holds, one
// write at a time (changes during a write are folded into the next), as a merge
// patch carrying the pod's UID, so that a pod deleted and re-created under the
// same name is never given another pod's status (the API server answers 409).
import { isConflict, isNotFound, type KubeApi, type KubeObject, MERGE_PATCH } from "./kube-api.ts";

/** The status fields the agent owns; everything else in status is left to others. */
const OWNED = [
  "phase",
  "conditions",
  "containerStatuses",
  "hostIP",
  "hostIPs",
  "podIP",
  "podIPs",
  "startTime",
] as const;

// The API server keeps metav1.Time to the second: compare timestamps that way.
const normalize = (value: unknown): unknown =>
  typeof value === "string" ? value.replace(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d+Z$/, "$1Z") : value;

/** True when `held` already says everything `wanted` says (fields the server adds are ignored). */
export function covers(held: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted)) {
    return (
      Array.isArray(held) && held.length === wanted.length && wanted.every((item, index) => covers(held[index], item))
    );
  }
  if (wanted !== null && typeof wanted === "object") {
    if (held === null || typeof held !== "object") return false;
    return Object.entries(wanted).every(([key, value]) =>
      value === undefined ? true : covers((held as Record<string, unknown>)[key], value),
    );
  }
  // null and a missing field are the same to the API server.
  if (wanted === null) return held === null || held === undefined;
  return normalize(held) === normalize(wanted);
}

export class PodStatusWriter {
  private readonly api: KubeApi;
  private readonly path: string;
  private readonly uid: string;
  private readonly build: (held: KubeObject | undefined) => KubeObject | undefined;
  private readonly onGone: () => void;
  private readonly log: (line: string) => void;
  private held: KubeObject | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(options: {
    api: KubeApi;
    pod: KubeObject;
    /** The status to report given the one the server holds; undefined while there is nothing to report yet. */
    build: (held: KubeObject | undefined) => KubeObject | undefined;
    onGone: () => void;
    log: (line: string) => void;
  }) {
    const { metadata } = options.pod;
    this.api = options.api;
    this.path = `/api/v1/namespaces/${metadata.namespace}/pods/${metadata.name}/status`;
    this.uid = metadata.uid;
    this.held = options.pod.status;
    this.build = options.build;
    this.onGone = options.onGone;
    this.log = options.log;
  }

  /** The status the API server holds now (from the watch). */
  observe(status: KubeObject | undefined): void {
    this.held = status;
    this.request();
  }

  /** Something the agent reports may have changed: write it if it did. */
  request(): void {
    if (this.closed) return;
    this.dirty = true;
    if (this.writing || this.retryTimer) return;
    // Deferred a tick, so a burst of changes (and a watch event) makes one write.
    this.writing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.writeLoop())
      .finally(() => {
        this.writing = undefined;
        // A request that came after the loop's last look.
        if (this.dirty && !this.retryTimer) this.request();
      });
  }

  /** Writes what is pending (bounded by the request deadline), then stops writing. */
  async close(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    // A write that ends with more pending starts another: wait for the last.
    while (this.writing) await this.writing;
    this.closed = true;
  }

  private async writeLoop(): Promise<void> {
    while (this.dirty && !this.closed) {
      this.dirty = false;
      const wanted = this.build(this.held);
      if (!wanted) continue;
      const status = Object.fromEntries(OWNED.filter((key) => key in wanted).map((key) => [key, wanted[key]]));
      if (covers(this.held, status)) continue;
      try {
        const pod = await this.api.request(
          "PATCH",
          this.path,
          { metadata: { uid: this.uid }, status },
          { contentType: MERGE_PATCH },
        );
        this.held = pod.status;
        this.failures = 0;
      } catch (error) {
        if (isNotFound(error) || (isConflict(error) && /precondition/i.test((error as Error).message))) {
          // Deleted, or re-created under the same name with another UID: not ours to write any more.
          this.closed = true;
          this.onGone();
          return;
        }
        // Retried every second while the API server fails; said once, then every 30th time.
        if (this.failures++ % 30 === 0) this.log(`writing status of ${this.path}: ${(error as Error).message}`);
        this.dirty = true;
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.request();
        }, 1000);
        return;
      }
    }
  }
}
