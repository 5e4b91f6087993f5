// Deployment status with the meaning Kubernetes gives it, so that `kubectl
// rollout status` and grayctl's own waits read it as they would on a cluster:
// counts from live pods, Available by minimum availability, Progressing with
// NewReplicaSetCreated / ReplicaSetUpdated / NewReplicaSetAvailable /
// ProgressDeadlineExceeded, and DeploymentPaused while paused.
import { R } from "../resources.ts";
import type { KubeObject, Store } from "../store.ts";
import { type ReplicaSetView, viewOf } from "./replicaset-view.ts";
import { resolveSurgeAndUnavailable } from "./rollout-math.ts";

interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  lastUpdateTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

function setCondition(
  conditions: Condition[],
  next: Omit<Condition, "lastUpdateTime" | "lastTransitionTime">,
  now: string,
  touch: boolean,
) {
  const index = conditions.findIndex((c) => c.type === next.type);
  const before = conditions[index];
  const same =
    before && before.status === next.status && before.reason === next.reason && before.message === next.message;
  const condition: Condition = {
    ...next,
    lastUpdateTime: same && !touch ? before.lastUpdateTime : now,
    lastTransitionTime: before && before.status === next.status ? before.lastTransitionTime : now,
  };
  if (index >= 0) conditions[index] = condition;
  else conditions.push(condition);
}

export function writeDeploymentStatus(
  store: Store,
  deploy: KubeObject,
  replicaSets: KubeObject[],
  newRS: KubeObject | undefined,
  context: { createdNew: boolean; now: number },
): void {
  const { now } = context;
  const nowIso = new Date(now).toISOString();
  const minReady = deploy.spec?.minReadySeconds ?? 0;
  const replicas = deploy.spec?.replicas ?? 1;
  const views: ReplicaSetView[] = replicaSets.map((rs) => viewOf(store, rs, minReady, now));
  const newView = views.find((v) => v.rs.metadata.uid === newRS?.metadata.uid);
  const sum = (pick: (v: ReplicaSetView) => number) => views.reduce((total, v) => total + pick(v), 0);
  const previous = deploy.status ?? {};
  const status = {
    observedGeneration: deploy.metadata.generation,
    replicas: sum((v) => v.active),
    updatedReplicas: newView?.active ?? 0,
    readyReplicas: sum((v) => v.ready),
    availableReplicas: sum((v) => v.available),
    unavailableReplicas: Math.max(0, sum((v) => v.desired) - sum((v) => v.available)),
    conditions: structuredClone(previous.conditions ?? []) as Condition[],
  };
  const { maxUnavailable } = resolveSurgeAndUnavailable(deploy.spec?.strategy?.rollingUpdate, replicas);
  const minimum = deploy.spec?.strategy?.type === "Recreate" ? replicas : replicas - maxUnavailable;
  setCondition(
    status.conditions,
    status.availableReplicas >= minimum
      ? {
          type: "Available",
          status: "True",
          reason: "MinimumReplicasAvailable",
          message: "Deployment has minimum availability.",
        }
      : {
          type: "Available",
          status: "False",
          reason: "MinimumReplicasUnavailable",
          message: "Deployment does not have minimum availability.",
        },
    nowIso,
    false,
  );
  const rsName = newRS?.metadata.name ?? "";
  const progressing = status.conditions.find((c) => c.type === "Progressing");
  const complete =
    status.updatedReplicas === replicas && status.replicas === replicas && status.availableReplicas === replicas;
  const madeProgress =
    status.updatedReplicas > (previous.updatedReplicas ?? 0) ||
    status.replicas - status.updatedReplicas < (previous.replicas ?? 0) - (previous.updatedReplicas ?? 0) ||
    status.readyReplicas > (previous.readyReplicas ?? 0) ||
    status.availableReplicas > (previous.availableReplicas ?? 0);
  const deadlineMs = (deploy.spec?.progressDeadlineSeconds ?? 600) * 1000;
  if (deploy.spec?.paused) {
    setCondition(
      status.conditions,
      { type: "Progressing", status: "Unknown", reason: "DeploymentPaused", message: "Deployment is paused" },
      nowIso,
      false,
    );
  } else if (context.createdNew) {
    setCondition(
      status.conditions,
      {
        type: "Progressing",
        status: "True",
        reason: "NewReplicaSetCreated",
        message: `Created new replica set "${rsName}"`,
      },
      nowIso,
      true,
    );
  } else if (complete) {
    setCondition(
      status.conditions,
      {
        type: "Progressing",
        status: "True",
        reason: "NewReplicaSetAvailable",
        message: `ReplicaSet "${rsName}" has successfully progressed.`,
      },
      nowIso,
      false,
    );
  } else if (madeProgress || progressing?.reason === "DeploymentPaused" || !progressing) {
    setCondition(
      status.conditions,
      {
        type: "Progressing",
        status: "True",
        reason: "ReplicaSetUpdated",
        message: `ReplicaSet "${rsName}" is progressing.`,
      },
      nowIso,
      true,
    );
  } else if (
    progressing.reason === "ProgressDeadlineExceeded" ||
    (progressing.reason !== "NewReplicaSetAvailable" && Date.parse(progressing.lastUpdateTime) + deadlineMs < now)
  ) {
    setCondition(
      status.conditions,
      {
        type: "Progressing",
        status: "False",
        reason: "ProgressDeadlineExceeded",
        message: `ReplicaSet "${rsName}" has timed out progressing.`,
      },
      nowIso,
      false,
    );
  } else if (progressing.reason === "NewReplicaSetAvailable") {
    // A scale-up or a pod lost after completion is progress again, with a fresh deadline.
    setCondition(
      status.conditions,
      {
        type: "Progressing",
        status: "True",
        reason: "ReplicaSetUpdated",
        message: `ReplicaSet "${rsName}" is progressing.`,
      },
      nowIso,
      true,
    );
  }
  status.conditions.sort((a, b) => (a.type === "Available" ? -1 : b.type === "Available" ? 1 : 0));
  store.mutate(
    R.deployments,
    deploy.metadata.namespace,
    deploy.metadata.name ?? "",
    (obj) => (obj.status = status),
    "status",
  );
}
