// Pod status as kubelet reports it, built from the containers' states. Condition
// lastTransitionTime only moves when the condition's status changes, which is
// what minReadySeconds and `kubectl describe` rely on.
import type { ContainerRunner } from "./container.ts";

interface Condition {
  type: string;
  status: "True" | "False";
  lastProbeTime: null;
  lastTransitionTime: string;
  reason?: string;
  message?: string;
}

export interface PodStatusInput {
  // biome-ignore lint/suspicious/noExplicitAny: the stored pod status is unstructured
  previous: any;
  containers: ContainerRunner[];
  terminating: boolean;
  startTime: string;
  now: Date;
  /** The pod's and its node's addresses; loopback (the sandbox's) when unset. */
  podIP?: string;
  hostIP?: string;
}

function condition(
  previous: Condition[] | undefined,
  type: string,
  ok: boolean,
  now: Date,
  reason?: string,
  message?: string,
) {
  const before = previous?.find((c) => c.type === type);
  const status = ok ? "True" : "False";
  const lastTransitionTime = before && before.status === status ? before.lastTransitionTime : now.toISOString();
  const result: Condition = { type, status, lastProbeTime: null, lastTransitionTime };
  if (!ok && reason) {
    result.reason = reason;
    result.message = message;
  }
  return result;
}

/**
 * Pending until every container has started; Succeeded or Failed once all have
 * exited for good (restartPolicy Never/OnFailure), by their exit codes; else Running.
 */
function phaseOf(containers: ContainerRunner[]): string {
  if (containers.length > 0 && containers.every((c) => c.finished)) {
    const failed = containers.some((c) => "terminated" in c.state && c.state.terminated.exitCode !== 0);
    return failed ? "Failed" : "Succeeded";
  }
  return containers.every((c) => c.started || c.finished || c.restartCount > 0) ? "Running" : "Pending";
}

export function buildPodStatus(input: PodStatusInput) {
  const { previous, containers, terminating, now } = input;
  const conditions: Condition[] | undefined = previous?.conditions;
  const notReady = containers.filter((c) => !c.ready).map((c) => c.spec.name);
  const containersReady = notReady.length === 0;
  const message = `containers with unready status: [${notReady.join(" ")}]`;
  const podIP = input.podIP ?? "127.0.0.1";
  const hostIP = input.hostIP ?? "127.0.0.1";
  return {
    ...previous,
    phase: phaseOf(containers),
    hostIP,
    hostIPs: [{ ip: hostIP }],
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: input.startTime,
    // Set by the API server from the resources at creation and immutable there.
    qosClass: previous?.qosClass ?? "BestEffort",
    conditions: [
      condition(conditions, "PodScheduled", true, now),
      condition(conditions, "Initialized", true, now),
      condition(conditions, "ContainersReady", containersReady, now, "ContainersNotReady", message),
      terminating
        ? condition(conditions, "Ready", false, now, "PodTerminating", "pod is being deleted")
        : condition(conditions, "Ready", containersReady, now, "ContainersNotReady", message),
    ],
    containerStatuses: containers.map((c) => c.status()),
  };
}
