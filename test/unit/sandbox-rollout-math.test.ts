import assert from "node:assert/strict";
import { test } from "node:test";
import { podTemplateHash } from "../../sandbox/controllers/hash.ts";
import { newReplicaSetReplicas, resolveSurgeAndUnavailable } from "../../sandbox/controllers/rollout-math.ts";

test("maxSurge rounds up and maxUnavailable rounds down, as Kubernetes does", () => {
  const cases: [unknown, number, { maxSurge: number; maxUnavailable: number }][] = [
    [undefined, 3, { maxSurge: 1, maxUnavailable: 0 }],
    [undefined, 4, { maxSurge: 1, maxUnavailable: 1 }],
    [undefined, 10, { maxSurge: 3, maxUnavailable: 2 }],
    [{ maxSurge: 0, maxUnavailable: 0 }, 3, { maxSurge: 0, maxUnavailable: 1 }],
    [{ maxSurge: "50%", maxUnavailable: "50%" }, 3, { maxSurge: 2, maxUnavailable: 1 }],
    [{ maxSurge: 2, maxUnavailable: "0%" }, 5, { maxSurge: 2, maxUnavailable: 0 }],
  ];
  for (const [rollingUpdate, replicas, expected] of cases) {
    assert.deepEqual(
      resolveSurgeAndUnavailable(rollingUpdate as never, replicas),
      expected,
      JSON.stringify(rollingUpdate),
    );
  }
});

test("the new ReplicaSet grows only into the surge room", () => {
  assert.equal(newReplicaSetReplicas(3, 1, 3, 0), 1);
  assert.equal(newReplicaSetReplicas(3, 1, 4, 1), 1);
  assert.equal(newReplicaSetReplicas(3, 1, 3, 2), 3);
  assert.equal(newReplicaSetReplicas(4, 2, 4, 0), 2);
});

test("pod-template-hash is stable under key order and differs per template", () => {
  const a = podTemplateHash({
    metadata: { labels: { app: "x" } },
    spec: { containers: [{ name: "a", image: "i:v1" }] },
  });
  const b = podTemplateHash({
    spec: { containers: [{ image: "i:v1", name: "a" }] },
    metadata: { labels: { app: "x" } },
  });
  const c = podTemplateHash({
    metadata: { labels: { app: "x" } },
    spec: { containers: [{ name: "a", image: "i:v2" }] },
  });
  assert.equal(a, b);
  assert.notEqual(a, c);
  assert.match(a, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
});

test("zero values sent back by typed clients do not change the pod-template-hash", () => {
  const template = { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "a", image: "i:v1" }] } };
  const roundTripped = {
    metadata: { labels: { app: "x" }, creationTimestamp: null },
    spec: { containers: [{ name: "a", image: "i:v1", resources: {}, env: [] }] },
  };
  assert.equal(podTemplateHash(template), podTemplateHash(roundTripped));
});
