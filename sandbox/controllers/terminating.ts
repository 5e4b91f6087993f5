// Graceful pod deletion as the API server does it: the pod first gets a
// deletionTimestamp (and here Ready=False at once, so nothing routes to it);
// the runtime then stops its containers and removes the object.
//
// Store.update keeps the stored deletionTimestamp on every write, which is right
// for API clients but leaves a controller no way to set it. Until the store has
// a graceful-delete method, this sets the field on the stored object itself (the
// one place the sandbox reaches into Store internals) and then writes status
// through the public API, which publishes both changes as one MODIFIED event.
import { R } from "../resources.ts";
import type { KubeObject, Store } from "../store.ts";

type StoreInternals = { bucket(t: typeof R.pods): Map<string, KubeObject> };

export function isTerminating(pod: KubeObject): boolean {
  return Boolean(pod.metadata.deletionTimestamp);
}

export function markPodTerminating(store: Store, namespace: string, name: string): void {
  const stored = (store as unknown as StoreInternals).bucket(R.pods).get(`${namespace}/${name}`);
  if (!stored || stored.metadata.deletionTimestamp) return;
  const now = new Date().toISOString();
  stored.metadata.deletionTimestamp = now;
  stored.metadata.deletionGracePeriodSeconds = stored.spec?.terminationGracePeriodSeconds ?? 30;
  store.mutate(
    R.pods,
    namespace,
    name,
    (pod) => {
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
    },
    "status",
  );
}
