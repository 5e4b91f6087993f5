// No router: one Service selects both tracks and the split follows the ratio
// of ready pods. Stable keeps all its replicas (so rolling back never lacks
// capacity); the canary adds pods to approach the requested share.
import type { ReplicaPlan, TrafficRouter } from "./types.ts";

export function replicaRatioPlan(weight: number, total: number): ReplicaPlan {
  if (weight <= 0) return { stable: total, canary: 0, effectiveWeight: 0 };
  const wanted = weight >= 100 ? total : Math.round((total * weight) / (100 - weight));
  const canary = Math.min(total, Math.max(1, wanted));
  return { stable: total, canary, effectiveWeight: Math.round((1000 * canary) / (total + canary)) / 10 };
}

export class ReplicasRouter implements TrafficRouter {
  readonly name = "replicas";
  private weight = 0;

  async prepare(): Promise<void> {
    // The app Service (selecting both tracks) is created with the Deployments.
  }

  async setCanaryWeight(weight: number): Promise<void> {
    // The split is made by scaling the canary, which the engine does from replicas().
    this.weight = weight;
  }

  async currentCanaryWeight(): Promise<number | undefined> {
    return this.weight;
  }

  replicas(weight: number, total: number): ReplicaPlan {
    return replicaRatioPlan(weight, total);
  }
}
