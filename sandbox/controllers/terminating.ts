// Graceful pod deletion as the API server does it: the pod first gets a
// deletionTimestamp (and here Ready=False at once, so nothing routes to it);
// the runtime then stops its containers and removes the object.
import { R } from "../resources.ts";
import type { KubeObject, Store } from "../store.ts";

export function isTerminating(pod: KubeObject): boolean {
  return Boolean(pod.metadata.deletionTimestamp);
}

export function markPodTerminating(store: Store, namespace: string, name: string): void {
  const current = store.get(R.pods, namespace, name);
  if (!current || current.metadata.deletionTimestamp) return;
  const now = new Date().toISOString();
  store.markDeleting(R.pods, namespace, name, current.spec?.terminationGracePeriodSeconds ?? 30, (pod) => {
    const others = (pod.status?.conditions ?? []).filter((c: { type: string }) => c.type !== "Ready");
    pod.status = {
      ...pod.status,
      conditions: [
        ...others,
        {
          type: "Ready",
          status: "False",
          lastProbeTime: null,
          lastTransitionTime: now,
          reason: "PodTerminating",
          message: "pod is being deleted",
        },
      ],
    };
  });
}
