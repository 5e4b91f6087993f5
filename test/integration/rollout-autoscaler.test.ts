// A stable Deployment scaled by a HorizontalPodAutoscaler: the canary gets its
// share of the pods stable actually runs, grayctl never writes stable's replica
// count, and the canary's own autoscaler (deployment.canaryAutoscaler) follows
// the canary's share and is removed on promotion and rollback.
//
// On the real control plane kube-controller-manager runs the HPA controller
// (every 2 s, cluster/control-plane.ts), but there is no metrics API here, so
// it cannot compute a desired count from metrics: it only keeps its target
// inside [minReplicas, maxReplicas]. So there the tests make the real
// controller scale stable by raising the HPA's minReplicas, and it would also
// undo any write of stable's replica count below that floor. The sandbox has
// no HPA controller at all; there the test sets stable's count as the
// controller would (within the HPA's bounds).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import type { KubeObject } from "../../sandbox/store.ts";
import { demoImage, eventually, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const CONFIG = `app: hpa
deployment:
  replicas: 2
traffic:
  router: nginx
  host: hpa.local
rollout:
  steps: [{ weight: 50, pause: manual }, 100]
  interval: 1s
  readyTimeout: 30s
`;
const WITH_CANARY_AUTOSCALER = ["--set", "deployment.canaryAutoscaler=true"];

let app: SandboxApp;
const stableReplicasSeen: number[] = [];
let stopWatch: () => void;

before(async () => {
  app = await startSandboxApp(CONFIG);
  stopWatch = app.sandbox.store.watch(R.deployments, app.namespace, undefined, (event) => {
    if (event.object.metadata.name !== "hpa") return;
    const replicas = event.object.spec.replicas as number;
    if (stableReplicasSeen.at(-1) !== replicas) stableReplicasSeen.push(replicas);
  });
});
after(async () => {
  stopWatch?.();
  await app?.stop();
});

const store = () => app.sandbox.store;
const deployment = (name: string) => store().get(R.deployments, app.namespace, name);
const autoscaler = (name: string) => store().get(R.horizontalpodautoscalers, app.namespace, name);
const image = (name: string) => deployment(name)?.spec.template.spec.containers[0].image;

function stableAutoscaler(): KubeObject {
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: "hpa" },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "hpa" },
      minReplicas: 2,
      maxReplicas: 8,
      metrics: [
        { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } } },
      ],
    },
  };
}

/** stable's HPA floor: 2 as created, raised on the real cluster to make its controller scale stable. */
let stableFloor = 2;

/** The HPA controller sets the target's replica count: the real one on the real cluster, the test's stand-in on the sandbox. */
async function scaleStableAsTheAutoscalerWould(replicas: number): Promise<void> {
  if (app.onCluster) {
    stableFloor = replicas;
    await app.mutate(R.horizontalpodautoscalers, "hpa", (hpa) => {
      hpa.spec.minReplicas = replicas;
    });
  } else {
    await app.mutate(R.deployments, "hpa", (d) => {
      d.spec.replicas = replicas;
    });
  }
  await eventually(
    `stable at ${replicas} ready pods`,
    () => deployment("hpa")?.status?.readyReplicas === replicas,
    60_000,
  );
}

test("stable scaled to 6 by its HPA: the 50 % canary gets 3 pods, and promotion leaves stable at the autoscaler's count", async () => {
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(deployment("hpa")?.spec.replicas, 2, "the first deploy uses deployment.replicas");
  await app.create(R.horizontalpodautoscalers, stableAutoscaler());
  await scaleStableAsTheAutoscalerWould(6);
  stableReplicasSeen.length = 0;

  const paused = await app.grayctl(["rollout", "--image", demoImage("v2")]);
  assert.equal(paused.code, 4, paused.stderr);
  assert.equal(
    deployment("hpa-canary")?.spec.replicas,
    3,
    "half of the 6 pods stable runs, not of deployment.replicas",
  );

  // The autoscaler grows stable during the ramp: promotion sizes the canary from what stable runs now.
  await scaleStableAsTheAutoscalerWould(7);
  const promoted = await app.grayctl(["promote"]);
  assert.equal(promoted.code, 0, promoted.stderr);
  assert.equal(image("hpa"), demoImage("v2"));
  assert.equal(deployment("hpa")?.spec.replicas, 7, "promotion did not reset stable to deployment.replicas (2)");
  assert.ok(
    stableReplicasSeen.every((replicas) => replicas === 6 || replicas === 7),
    `stable's replica count was only ever the autoscaler's: ${stableReplicasSeen}`,
  );
  assert.equal(deployment("hpa-canary")?.spec.replicas, 0);
  assert.equal(autoscaler("hpa")?.spec.minReplicas, stableFloor, "stable's autoscaler untouched");
});

test("deployment.canaryAutoscaler: the canary gets an HPA copied from stable's, floored at its share; rollback removes it", async () => {
  const paused = await app.grayctl(["rollout", "--image", demoImage("v3"), ...WITH_CANARY_AUTOSCALER]);
  assert.equal(paused.code, 4, paused.stderr);
  const canaryHpa = autoscaler("hpa-canary");
  assert.ok(canaryHpa, "HorizontalPodAutoscaler hpa-canary exists");
  assert.deepEqual(canaryHpa.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "hpa-canary" });
  assert.equal(canaryHpa.spec.minReplicas, 4, "its floor is the canary's share: half of 7, rounded up");
  assert.equal(canaryHpa.spec.maxReplicas, 8, "its ceiling is stable's");
  assert.deepEqual(canaryHpa.spec.metrics, autoscaler("hpa")?.spec.metrics, "the metrics are stable's");
  assert.equal(deployment("hpa-canary")?.spec.replicas, 4);

  const rolledBack = await app.grayctl(["rollback", ...WITH_CANARY_AUTOSCALER]);
  assert.equal(rolledBack.code, 0, rolledBack.stderr);
  assert.equal(autoscaler("hpa-canary"), undefined, "the canary's autoscaler is gone");
  assert.equal(deployment("hpa-canary")?.spec.replicas, 0);
  assert.equal(deployment("hpa")?.spec.replicas, 7);
  assert.equal(image("hpa"), demoImage("v2"));
});

test("deployment.canaryAutoscaler: promotion removes the canary's autoscaler too", async () => {
  const paused = await app.grayctl(["rollout", "--image", demoImage("v4"), ...WITH_CANARY_AUTOSCALER]);
  assert.equal(paused.code, 4, paused.stderr);
  assert.ok(autoscaler("hpa-canary"));
  const promoted = await app.grayctl(["promote", ...WITH_CANARY_AUTOSCALER]);
  assert.equal(promoted.code, 0, promoted.stderr);
  assert.equal(autoscaler("hpa-canary"), undefined);
  assert.equal(deployment("hpa-canary")?.spec.replicas, 0);
  assert.equal(deployment("hpa")?.spec.replicas, 7);
  assert.equal(image("hpa"), demoImage("v4"));
});
