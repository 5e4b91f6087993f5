// No router: one Service selects both tracks and the split follows the ratio
// of ready pods. Stable keeps all its replicas (so rolling back never lacks
// capacity); the canary adds pods to approach the requested share.
import type { Cluster } from "../kube/cluster.ts";
import { trackSelector } from "../kube/names.ts";
import { summarizeTrack } from "../model/pods.ts";
import type { ReplicaPlan, TrafficRouter } from "./types.ts";

export function replicaRatioPlan(weight: number, total: number): ReplicaPlan {
  if (weight <= 0) return { stable: total, canary: 0, effectiveWeight: 0 };
  const wanted = weight >= 100 ? total : Math.round((total * weight) / (100 - weight));
  const canary = Math.min(total, Math.max(1, wanted));
  return { stable: total, canary, effectiveWeight: Math.round((1000 * canary) / (total + canary)) / 10 };
}

export class ReplicasRouter implements TrafficRouter {
  readonly name = "replicas";
  private readonly cluster: Cluster;
  private readonly app: string;

  constructor(cluster: Cluster, app: string) {
    this.cluster = cluster;
    this.app = app;
  }

  async prepare(): Promise<void> {
    // The app Service (selecting both tracks) is created with the Deployments.
  }

  async setCanaryWeight(_weight: number): Promise<void> {
    // The split is made by scaling the canary, which the engine does from replicas().
  }

  /** The share of ready pods that are canary pods: what the Service actually splits by. */
  async currentCanaryWeight(): Promise<number | undefined> {
    const [canary, stable] = await Promise.all(
      (["canary", "stable"] as const).map(async (track) =>
        summarizeTrack(await this.cluster.listPods(trackSelector(this.app, track))),
      ),
    );
    const total = canary.ready + stable.ready;
    return total === 0 ? undefined : Math.round((1000 * canary.ready) / total) / 10;
  }

  replicas(weight: number, total: number): ReplicaPlan {
    return replicaRatioPlan(weight, total);
  }
}
