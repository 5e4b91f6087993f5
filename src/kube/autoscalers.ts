// HorizontalPodAutoscalers (autoscaling/v2): the one that scales stable, read so
// that grayctl sizes the tracks from it and never writes against it, and the
// canary's own (deployment.canaryAutoscaler), which grayctl creates, keeps at
// the canary's share and deletes. Writes are fenced like every other write.
import type { V2HorizontalPodAutoscaler } from "@kubernetes/client-node";
import type { Cluster } from "./cluster.ts";
import { isNotFound } from "./errors.ts";

/** The autoscaler whose scaleTargetRef is Deployment `deployment`, if any. */
export async function autoscalerOf(
  cluster: Cluster,
  deployment: string,
): Promise<V2HorizontalPodAutoscaler | undefined> {
  const list = await cluster.call("list HorizontalPodAutoscalers", () =>
    cluster.clients.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: cluster.namespace }),
  );
  return list.items.find(
    (hpa) => hpa.spec?.scaleTargetRef?.kind === "Deployment" && hpa.spec.scaleTargetRef.name === deployment,
  );
}

export function getAutoscaler(cluster: Cluster, name: string): Promise<V2HorizontalPodAutoscaler | undefined> {
  return cluster.read(`read HorizontalPodAutoscaler ${name}`, () =>
    cluster.clients.autoscaling.readNamespacedHorizontalPodAutoscaler({ name, namespace: cluster.namespace }),
  );
}

/** Creates `wanted`, or brings the existing one's spec in line with it (no write when it matches). */
export async function applyAutoscaler(cluster: Cluster, wanted: V2HorizontalPodAutoscaler): Promise<void> {
  const name = wanted.metadata?.name ?? "";
  const namespace = cluster.namespace;
  const read = () => cluster.clients.autoscaling.readNamespacedHorizontalPodAutoscaler({ name, namespace });
  if (!(await getAutoscaler(cluster, name))) {
    await cluster.createOrGet(
      `create HorizontalPodAutoscaler ${name}`,
      () => cluster.clients.autoscaling.createNamespacedHorizontalPodAutoscaler({ namespace, body: wanted }),
      read,
    );
  }
  await cluster.update(
    `update HorizontalPodAutoscaler ${name}`,
    read,
    (current) => {
      if (JSON.stringify(current.spec) === JSON.stringify(wanted.spec)) return undefined;
      return { ...current, spec: wanted.spec };
    },
    (body) => cluster.clients.autoscaling.replaceNamespacedHorizontalPodAutoscaler({ name, namespace, body }),
  );
}

export async function deleteAutoscaler(cluster: Cluster, name: string): Promise<boolean> {
  if (!(await getAutoscaler(cluster, name))) return false;
  try {
    await cluster.write(`delete HorizontalPodAutoscaler ${name}`, () =>
      cluster.clients.autoscaling.deleteNamespacedHorizontalPodAutoscaler({ name, namespace: cluster.namespace }),
    );
  } catch (error) {
    // A retried delete whose first attempt landed.
    if (!isNotFound(error)) throw error;
  }
  return true;
}
