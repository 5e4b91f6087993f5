// The ReplicaSet controller: keeps spec.replicas active pods of the template,
// creating pods or marking the first ones in deletion order as terminating,
// and reports the counts in status.
import { randomBytes } from "node:crypto";
import { R } from "../resources.ts";
import type { KubeObject, Store } from "../store.ts";
import { controllerRef, deletionOrder, isActive, isAvailable, isOwnedBy } from "./pods.ts";
import { markPodTerminating } from "./terminating.ts";
import { isPodReady } from "../endpoints.ts";

const SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

function randomSuffix(): string {
  return [...randomBytes(5)].map((b) => SUFFIX_ALPHABET[b % SUFFIX_ALPHABET.length]).join("");
}

export function podsOfReplicaSet(store: Store, rs: KubeObject): KubeObject[] {
  return store.list(R.pods, rs.metadata.namespace).filter((pod) => isOwnedBy(pod, rs));
}

function createPod(store: Store, rs: KubeObject): void {
  const template = rs.spec?.template ?? {};
  const namespace = rs.metadata.namespace;
  for (let attempt = 0; attempt < 5; attempt++) {
    const name = `${rs.metadata.name}-${randomSuffix()}`;
    if (store.get(R.pods, namespace, name)) continue;
    store.create(R.pods, namespace, {
      metadata: {
        name,
        labels: { ...template.metadata?.labels },
        annotations: { ...template.metadata?.annotations },
        ownerReferences: [controllerRef(rs)],
      },
      spec: structuredClone(template.spec ?? {}),
      status: { phase: "Pending" },
    });
    return;
  }
}

export function reconcileReplicaSet(store: Store, rs: KubeObject, now: number): void {
  const pods = podsOfReplicaSet(store, rs);
  const active = pods.filter(isActive);
  const wanted = rs.spec?.replicas ?? 1;
  if (active.length < wanted) {
    for (let i = active.length; i < wanted; i++) createPod(store, rs);
  } else if (active.length > wanted) {
    const victims = [...active].sort(deletionOrder).slice(0, active.length - wanted);
    for (const pod of victims) markPodTerminating(store, pod.metadata.namespace ?? "default", pod.metadata.name ?? "");
  }
  writeReplicaSetStatus(store, rs, now);
}

function writeReplicaSetStatus(store: Store, rs: KubeObject, now: number): void {
  const active = podsOfReplicaSet(store, rs).filter(isActive);
  const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
  const status = {
    replicas: active.length,
    fullyLabeledReplicas: active.length,
    readyReplicas: active.filter(isPodReady).length,
    availableReplicas: active.filter((p) => isAvailable(p, minReadySeconds, now)).length,
    observedGeneration: rs.metadata.generation,
  };
  store.mutate(R.replicasets, rs.metadata.namespace, rs.metadata.name ?? "", (obj) => (obj.status = status), "status");
}
