// Guards a rollout's router writes: before raising or changing the canary's
// weight, the process checks it still owns the rollout. A forced rollback
// claims the state and takes the Lease, but a rollout process waiting for
// canary pods would only learn of it at its next Lease renewal (up to a third
// of the Lease later) — and must not set a weight after the rollback's write.
import { SupersededError, type StateStore } from "../kube/state-store.ts";
import type { TrafficRouter } from "../routers/types.ts";

export function ownedRouter(router: TrafficRouter, store: StateStore, owner: string): TrafficRouter {
  return {
    name: router.name,
    prepare: () => router.prepare(),
    currentCanaryWeight: () => router.currentCanaryWeight(),
    replicas: (weight, total) => router.replicas(weight, total),
    async setCanaryWeight(weight) {
      const { state } = await store.read();
      if (state && state.owner !== owner) throw new SupersededError(state.actor);
      await router.setCanaryWeight(weight);
    },
  };
}
