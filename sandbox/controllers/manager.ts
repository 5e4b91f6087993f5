// Runs the controllers: one reconcile pass over Deployments, ReplicaSets and
// orphans after any change to them or to pods (coalesced), and a periodic
// resync for what no event announces (minReadySeconds, progress deadlines).
// Store calls are synchronous, so a pass sees and leaves a consistent state.
import { R } from "../resources.ts";
import type { Store } from "../store.ts";
import { reconcileDeployment } from "./deployment.ts";
import { isOwnedBy } from "./pods.ts";
import { reconcileReplicaSet } from "./replicaset.ts";
import { isTerminating, markPodTerminating } from "./terminating.ts";

export interface Controllers {
  /** Runs one pass now; exposed for tests that want a deterministic step. */
  reconcileAll(): void;
  stop(): void;
}

/** Owner gone → dependants go too, as the garbage collector does with ownerReferences. */
function collectGarbage(store: Store): void {
  const deployments = store.list(R.deployments);
  for (const rs of store.list(R.replicasets)) {
    const owner = rs.metadata.ownerReferences?.find((ref) => ref.controller && ref.kind === "Deployment");
    if (!owner) continue;
    if (!deployments.some((d) => d.metadata.uid === owner.uid)) {
      store.delete(R.replicasets, rs.metadata.namespace, rs.metadata.name ?? "");
    }
  }
  const replicaSets = store.list(R.replicasets);
  for (const pod of store.list(R.pods)) {
    const owner = pod.metadata.ownerReferences?.find((ref) => ref.controller && ref.kind === "ReplicaSet");
    if (!owner || isTerminating(pod)) continue;
    if (!replicaSets.some((rs) => isOwnedBy(pod, rs))) {
      markPodTerminating(store, pod.metadata.namespace ?? "default", pod.metadata.name ?? "");
    }
  }
}

export function startControllers(store: Store, options: { resyncMs?: number } = {}): Controllers {
  let scheduled = false;
  let stopped = false;
  let running = false;
  const reconcileAll = () => {
    if (stopped || running) return;
    running = true;
    try {
      const now = Date.now();
      collectGarbage(store);
      for (const deploy of store.list(R.deployments)) reconcileDeployment(store, deploy, now);
      for (const rs of store.list(R.replicasets)) reconcileReplicaSet(store, rs, now);
    } catch (err) {
      console.error(`sandbox controllers: ${(err as Error).stack}`);
    } finally {
      running = false;
    }
  };
  const schedule = () => {
    if (scheduled || stopped) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      reconcileAll();
    });
  };
  const unwatch = [R.deployments, R.replicasets, R.pods].map((t) => store.watch(t, undefined, undefined, schedule));
  const timer = setInterval(reconcileAll, options.resyncMs ?? 250);
  schedule();
  return {
    reconcileAll,
    stop() {
      stopped = true;
      clearInterval(timer);
      for (const off of unwatch) off();
    },
  };
}
