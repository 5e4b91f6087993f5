// The sandbox's kubelet: watches Pods in the store and keeps one PodRunner per
// pod. A pod marked with deletionTimestamp is stopped after a short delay (so
// routers see it unready first) and then removed from the store; a pod deleted
// outright is stopped at once.
import { R } from "../resources.ts";
import type { KubeObject, Store, WatchEvent } from "../store.ts";
import type { BackoffMs } from "./container.ts";
import type { ContainerDriver } from "./driver.ts";
import { preStopSleepMs } from "./lifecycle.ts";
import { PodRunner } from "./pod-runner.ts";
import { markUnschedulable, unschedulable } from "./scheduling.ts";

export interface PodRuntimeOptions {
  driverFor(image: string): ContainerDriver;
  backoff: BackoffMs;
  logDir?: string;
  /** How long a terminating pod keeps running, unready, before SIGTERM. */
  terminationDelayMs: number;
  /** SIGTERM → SIGKILL grace, capped by the pod's terminationGracePeriodSeconds. */
  killGraceMs: number;
}

const keyOf = (pod: KubeObject) => `${pod.metadata.namespace}/${pod.metadata.name}`;

export class PodRuntime {
  private readonly pods = new Map<string, PodRunner>();
  /** Pods the node cannot take, by key: the uid already marked unschedulable. */
  private readonly pending = new Map<string, string>();
  private readonly stopping = new Set<Promise<void>>();
  private readonly store: Store;
  private readonly options: PodRuntimeOptions;
  private unwatch: (() => void) | undefined;
  private closed = false;

  constructor(store: Store, options: PodRuntimeOptions) {
    this.store = store;
    this.options = options;
  }

  start(): void {
    this.unwatch = this.store.watch(R.pods, undefined, undefined, (event) => this.onEvent(event));
    for (const pod of this.store.list(R.pods)) this.onEvent({ type: "ADDED", object: pod });
  }

  private onEvent(event: WatchEvent): void {
    if (this.closed) return;
    const pod = event.object;
    const key = keyOf(pod);
    const runner = this.pods.get(key);
    if (event.type === "DELETED") {
      if (this.pending.get(key) === pod.metadata.uid) this.pending.delete(key);
      if (runner && runner.uid === pod.metadata.uid) this.forget(key, runner, 0);
      return;
    }
    if (runner && runner.uid !== pod.metadata.uid) this.forget(key, runner, 0);
    if (!this.pods.has(key)) {
      if (pod.metadata.deletionTimestamp) {
        this.pending.delete(key);
        this.removeFromStore(pod);
        return;
      }
      // A pod's nodeSelector is immutable: one the node cannot take stays Pending until it is deleted.
      const unfit = unschedulable(pod);
      if (unfit) {
        if (this.pending.get(key) !== pod.metadata.uid) {
          this.pending.set(key, pod.metadata.uid ?? "");
          markUnschedulable(this.store, pod, unfit);
        }
        return;
      }
      const fresh = new PodRunner(this.store, pod);
      this.pods.set(key, fresh);
      fresh.start(pod, this.options).catch((err) => console.error(`sandbox runtime: pod ${key}: ${err.message}`));
      return;
    }
    if (pod.metadata.deletionTimestamp) this.terminate(key, pod);
  }

  private readonly terminatingKeys = new Set<string>();

  private terminate(key: string, pod: KubeObject): void {
    if (this.terminatingKeys.has(key)) return;
    const runner = this.pods.get(key);
    if (!runner) return;
    this.terminatingKeys.add(key);
    runner.markTerminating();
    const graceSeconds = pod.spec?.terminationGracePeriodSeconds;
    const graceMs = Math.min(this.options.killGraceMs, graceSeconds === undefined ? Infinity : graceSeconds * 1000);
    const work = (async () => {
      // Unready first (endpoints drop the pod), then the preStop sleep if the pod has one.
      const delayMs = Math.max(this.options.terminationDelayMs, Math.min(graceMs, preStopSleepMs(pod.spec)));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await runner.stop(graceMs);
      if (this.pods.get(key) === runner) this.pods.delete(key);
      this.terminatingKeys.delete(key);
      if (!this.closed) this.removeFromStore(pod);
    })();
    this.track(work);
  }

  private removeFromStore(pod: KubeObject): void {
    const current = this.store.get(R.pods, pod.metadata.namespace, pod.metadata.name ?? "");
    if (current && current.metadata.uid === pod.metadata.uid)
      this.store.delete(R.pods, pod.metadata.namespace, pod.metadata.name ?? "");
  }

  private forget(key: string, runner: PodRunner, graceMs: number): void {
    this.pods.delete(key);
    this.terminatingKeys.delete(key);
    this.track(runner.stop(graceMs));
  }

  private track(work: Promise<void>): void {
    this.stopping.add(work);
    work.finally(() => this.stopping.delete(work)).catch(() => {});
  }

  /** Stops every pod process and waits until all have exited. */
  async close(): Promise<void> {
    this.closed = true;
    this.unwatch?.();
    const runners = [...this.pods.values()];
    this.pods.clear();
    await Promise.all([...runners.map((r) => r.stop(this.options.killGraceMs)), ...this.stopping]);
  }
}
