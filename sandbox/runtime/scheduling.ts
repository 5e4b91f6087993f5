// The sandbox's scheduler, as far as a single node goes: a pod whose
// nodeSelector the one node's labels do not satisfy stays Pending with
// PodScheduled=False (reason Unschedulable) and a FailedScheduling Event, in the
// words kube-scheduler uses, so grayctl can be tested on what `kubectl describe
// pod` shows for it. Everything else schedules.
import { arch } from "node:os";
import { R } from "../resources.ts";
import type { KubeObject, Store } from "../store.ts";

export const SANDBOX_NODE = "sandbox";

/** The labels the kubelet puts on its Node. */
export const NODE_LABELS: Record<string, string> = {
  "kubernetes.io/hostname": SANDBOX_NODE,
  "kubernetes.io/os": "linux",
  "kubernetes.io/arch": arch() === "x64" ? "amd64" : arch(),
};

/** kube-scheduler's message for a pod no node's labels fit (Kubernetes 1.27 and later). */
export const NO_NODE_MATCHES =
  "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";

/** Why the one node cannot take `pod`, or undefined when it can. */
export function unschedulable(pod: KubeObject): string | undefined {
  const selector: Record<string, string> = pod.spec?.nodeSelector ?? {};
  const fits = Object.entries(selector).every(([key, value]) => NODE_LABELS[key] === value);
  return fits ? undefined : NO_NODE_MATCHES;
}

/** Records what kube-scheduler records for a pod it cannot place: the condition and the Event. */
export function markUnschedulable(store: Store, pod: KubeObject, message: string): void {
  const namespace = pod.metadata.namespace ?? "default";
  const name = pod.metadata.name ?? "";
  const now = new Date().toISOString();
  store.mutate(
    R.pods,
    namespace,
    name,
    (obj) => {
      obj.status = {
        phase: "Pending",
        qosClass: obj.status?.qosClass ?? "BestEffort",
        conditions: [
          {
            type: "PodScheduled",
            status: "False",
            lastProbeTime: null,
            lastTransitionTime: now,
            reason: "Unschedulable",
            message,
          },
        ],
      };
    },
    "status",
  );
  store.create(R.events, namespace, {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${name}.${Date.now().toString(16)}`, namespace },
    involvedObject: { kind: "Pod", namespace, name, uid: pod.metadata.uid, apiVersion: "v1" },
    reason: "FailedScheduling",
    message,
    type: "Warning",
    source: { component: "default-scheduler" },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  });
}
