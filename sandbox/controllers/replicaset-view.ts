// A ReplicaSet together with the live counts of its pods. The Deployment
// controller decides from pods, not from ReplicaSet status, so that a decision
// never rests on a status another loop has not yet written.
import { isPodReady } from "../endpoints.ts";
import { R } from "../resources.ts";
import type { KubeObject, Store } from "../store.ts";
import { isActive, isAvailable } from "./pods.ts";
import { podsOfReplicaSet, reconcileReplicaSet } from "./replicaset.ts";

export const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";

export interface ReplicaSetView {
  rs: KubeObject;
  /** spec.replicas */
  desired: number;
  /** Pods not terminating. */
  active: number;
  /** Pods that exist at all, terminating ones included. */
  existing: number;
  ready: number;
  /** Available pods, never counted above desired: the surplus is about to go. */
  available: number;
}

export function revisionOf(rs: KubeObject): number {
  return Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? 0);
}

export function viewOf(store: Store, rs: KubeObject, minReadySeconds: number, now: number): ReplicaSetView {
  const pods = podsOfReplicaSet(store, rs);
  const active = pods.filter(isActive);
  const desired = rs.spec?.replicas ?? 0;
  return {
    rs,
    desired,
    active: active.length,
    existing: pods.length,
    ready: active.filter(isPodReady).length,
    available: Math.min(desired, active.filter((p) => isAvailable(p, minReadySeconds, now)).length),
  };
}

/** Sets spec.replicas and lets the ReplicaSet act on it at once, so the next decision sees its pods. */
export function scaleReplicaSet(store: Store, rs: KubeObject, replicas: number, now: number): KubeObject {
  const namespace = rs.metadata.namespace;
  const updated =
    store.mutate(R.replicasets, namespace, rs.metadata.name ?? "", (obj) => {
      obj.spec.replicas = Math.max(0, replicas);
    }) ?? rs;
  reconcileReplicaSet(store, updated, now);
  return store.get(R.replicasets, namespace, rs.metadata.name ?? "") ?? updated;
}
