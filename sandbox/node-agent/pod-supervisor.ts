// Turns what the pod watch sees into PodWorkers: one per pod UID bound to this
// node. Terminal pods are not run again; a pod already marked for deletion that
// runs nothing here is deleted at once; a pod gone from the API is stopped.
import { isConflict, isNotFound, type KubeApi, type KubeObject } from "./kube-api.ts";
import { PodWorker, type PodWorkerDeps } from "./pod-worker.ts";
import type { PodHandler } from "./pod-watch.ts";

/** Grace for pods stopped because the agent stops or the pod vanished: SIGTERM, then SIGKILL. */
const STOP_GRACE_MS = 5000;
/** UIDs this agent finished with, so late events for them do not start them again. */
const REMEMBERED = 1000;

export class PodSupervisor implements PodHandler {
  private readonly deps: PodWorkerDeps;
  private readonly api: KubeApi;
  private readonly workers = new Map<string, PodWorker>();
  private readonly finished = new Set<string>();
  private readonly stopping = new Set<Promise<void>>();
  private closed = false;

  constructor(deps: PodWorkerDeps) {
    this.deps = deps;
    this.api = deps.api;
  }

  sync(pods: KubeObject[]): void {
    const present = new Set(pods.map((pod) => pod.metadata.uid));
    for (const [uid, worker] of this.workers) if (!present.has(uid)) this.track(worker.stop(STOP_GRACE_MS));
    for (const pod of pods) this.handle(pod);
  }

  event(type: "ADDED" | "MODIFIED" | "DELETED", pod: KubeObject): void {
    if (type === "DELETED") {
      // Deleted outright (grace 0 by someone else, or our own final delete): stop what still runs.
      const worker = this.workers.get(pod.metadata.uid);
      if (worker) this.track(worker.stop(STOP_GRACE_MS));
      return;
    }
    this.handle(pod);
  }

  private handle(pod: KubeObject): void {
    if (this.closed) return;
    const uid: string = pod.metadata.uid;
    const worker = this.workers.get(uid);
    if (worker) {
      worker.update(pod);
      return;
    }
    if (this.finished.has(uid)) return;
    const terminal = pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
    if (pod.metadata.deletionTimestamp) {
      // Nothing of it runs here (the agent restarted, or it never started): finish the deletion.
      this.remember(uid);
      this.track(this.deleteNow(pod));
      return;
    }
    if (terminal) return;
    try {
      const fresh = new PodWorker(this.deps, pod, () => {
        if (this.workers.get(uid) === fresh) this.workers.delete(uid);
        this.remember(uid);
      });
      this.workers.set(uid, fresh);
    } catch (error) {
      // No address left, say: the pod stays Pending and is tried again at its next event.
      this.deps.log(`pod ${pod.metadata.namespace}/${pod.metadata.name}: ${(error as Error).message}`);
    }
  }

  private async deleteNow(pod: KubeObject): Promise<void> {
    const { namespace, name, uid } = pod.metadata;
    try {
      await this.api.request("DELETE", `/api/v1/namespaces/${namespace}/pods/${name}`, {
        apiVersion: "v1",
        kind: "DeleteOptions",
        gracePeriodSeconds: 0,
        preconditions: { uid },
      });
    } catch (error) {
      if (!isNotFound(error) && !isConflict(error))
        this.deps.log(`pod ${namespace}/${name}: deleting: ${(error as Error).message}`);
    }
  }

  private remember(uid: string): void {
    this.finished.add(uid);
    if (this.finished.size > REMEMBERED) this.finished.delete(this.finished.values().next().value as string);
  }

  private track(work: Promise<void>): void {
    this.stopping.add(work);
    work
      .catch((error) => this.deps.log(`stopping a pod: ${(error as Error).message}`))
      .finally(() => this.stopping.delete(work));
  }

  /** Stops every pod (SIGTERM, SIGKILL after a short grace) and waits until all are stopped and cleaned up. */
  async close(): Promise<void> {
    this.closed = true;
    const workers = [...this.workers.values()];
    await Promise.all([...workers.map((w) => w.stop(STOP_GRACE_MS)), ...this.stopping]);
  }
}
