// Pod facts the controllers share: ownership, activity, readiness and
// availability (Ready for at least minReadySeconds), and the order in which
// Kubernetes picks pods to delete when scaling down.
import { isPodReady } from "../endpoints.ts";
import type { KubeObject } from "../store.ts";
import { isTerminating } from "./terminating.ts";

export function isOwnedBy(obj: KubeObject, owner: KubeObject): boolean {
  return (obj.metadata.ownerReferences ?? []).some((ref) => ref.controller && ref.uid === owner.metadata.uid);
}

export function controllerRef(owner: KubeObject) {
  return {
    apiVersion: owner.apiVersion ?? "",
    kind: owner.kind ?? "",
    name: owner.metadata.name ?? "",
    uid: owner.metadata.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function isActive(pod: KubeObject): boolean {
  return !isTerminating(pod) && pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed";
}

function readySince(pod: KubeObject): number | undefined {
  const ready = (pod.status?.conditions ?? []).find((c: { type: string }) => c.type === "Ready");
  return ready?.status === "True" ? Date.parse(ready.lastTransitionTime) : undefined;
}

export function isAvailable(pod: KubeObject, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  const since = readySince(pod);
  return minReadySeconds <= 0 || (since !== undefined && since + minReadySeconds * 1000 <= now);
}

function restarts(pod: KubeObject): number {
  return (pod.status?.containerStatuses ?? []).reduce(
    (sum: number, c: { restartCount?: number }) => sum + (c.restartCount ?? 0),
    0,
  );
}

/** Deletion order when scaling down: not running, then not ready, ready for less time, more restarts, newer. */
export function deletionOrder(a: KubeObject, b: KubeObject): number {
  const running = (p: KubeObject) => (p.status?.phase === "Running" ? 1 : 0);
  if (running(a) !== running(b)) return running(a) - running(b);
  const ready = (p: KubeObject) => (isPodReady(p) ? 1 : 0);
  if (ready(a) !== ready(b)) return ready(a) - ready(b);
  const sinceA = readySince(a) ?? 0;
  const sinceB = readySince(b) ?? 0;
  if (sinceA !== sinceB) return sinceB - sinceA;
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  return Date.parse(b.metadata.creationTimestamp ?? "") - Date.parse(a.metadata.creationTimestamp ?? "");
}
