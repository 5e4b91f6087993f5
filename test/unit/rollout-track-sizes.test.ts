// Track sizes under an autoscaler (decision 015), table-driven: the canary's
// share of what stable runs, at least one pod, never less than stable ran at the
// start for a weighted router; the replicas router splits the pods there are.
import assert from "node:assert/strict";
import { test } from "node:test";
import { replicaRatioPlan } from "../../src/routers/replicas.ts";
import { proportionalReplicas } from "../../src/routers/types.ts";
import { canaryAutoscalerFor, stableCapacity } from "../../src/rollout/track-sizes.ts";

test("stable's capacity: what it runs now, never below what it ran at the start (weighted routers)", () => {
  const table: [router: string, atStart: number | undefined, now: number, capacity: number][] = [
    ["nginx", 20, 20, 20],
    ["nginx", 20, 12, 20], // its autoscaler shrank stable as traffic left it: the canary is not shrunk with it
    ["nginx", 20, 25, 25], // load grew: the canary grows with stable
    ["nginx", undefined, 6, 6], // a record from before stableReplicas
    ["istio", 0, 0, 1],
    ["replicas", 20, 12, 12], // the Service splits by the pods there are now
  ];
  for (const [router, atStart, now, capacity] of table)
    assert.equal(stableCapacity(router, atStart, now), capacity, `${router} ${atStart} → ${now}`);
});

test("the canary's share of a 20-pod stable: at least one pod; the replicas router's pods follow the weight", () => {
  const table: [weight: number, weighted: number, byRatio: number][] = [
    [1, 1, 1],
    [5, 1, 1],
    [25, 5, 7],
    [50, 10, 20],
    [100, 20, 20],
  ];
  for (const [weight, weighted, byRatio] of table) {
    assert.equal(proportionalReplicas(weight, 20).canary, weighted, `weighted ${weight}%`);
    assert.equal(proportionalReplicas(weight, 20).stable, 20, "stable keeps its capacity");
    assert.equal(replicaRatioPlan(weight, 20).canary, byRatio, `replica ratio ${weight}%`);
  }
});

test("the canary's autoscaler is stable's, aimed at the canary, floored at its share", () => {
  const stable = {
    metadata: { name: "shop-hpa", namespace: "shop", resourceVersion: "7" },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "shop" },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } } },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
    },
  };
  const canary = canaryAutoscalerFor(stable, "shop", 3);
  assert.equal(canary.metadata?.name, "shop-canary");
  assert.equal(canary.metadata?.resourceVersion, undefined);
  assert.deepEqual(canary.spec?.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "shop-canary" });
  assert.equal(canary.spec?.minReplicas, 3);
  assert.equal(canary.spec?.maxReplicas, 10);
  assert.deepEqual(canary.spec?.metrics, stable.spec.metrics);
  assert.deepEqual(canary.spec?.behavior, stable.spec.behavior);
  assert.equal(canaryAutoscalerFor(stable, "shop", 12).spec?.maxReplicas, 12, "the ceiling never below the floor");
  assert.equal(stable.spec.scaleTargetRef.name, "shop", "stable's is not changed");
});
