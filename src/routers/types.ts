// One interface for every way of splitting traffic; one file per router.

export interface ReplicaPlan {
  stable: number;
  canary: number;
  /** The canary share of traffic these replicas and the weight actually give. */
  effectiveWeight: number;
}

export interface TrafficRouter {
  readonly name: string;
  /** Refuses, before a rollout writes anything, routing objects this router cannot split safely. Reads only. */
  check?(): Promise<void>;
  /** Creates or adopts the routing objects with 100 % of traffic on stable. Idempotent. */
  prepare(): Promise<void>;
  /** Sets the canary's share (0..100) in a single write. */
  setCanaryWeight(weight: number): Promise<void>;
  /** The canary weight the cluster routes by now; undefined when no routing object exists. */
  currentCanaryWeight(): Promise<number | undefined>;
  /** Replicas per track so that the canary can carry `weight` % of traffic. */
  replicas(weight: number, total: number): ReplicaPlan;
}

/** For routers that split by weight: the canary gets its share of pods, at least one. */
export function proportionalReplicas(weight: number, total: number): ReplicaPlan {
  const canary = weight <= 0 ? 0 : Math.min(total, Math.max(1, Math.ceil((total * weight) / 100)));
  return { stable: total, canary, effectiveWeight: weight };
}
