// Deployments in the sandbox: real processes behind pods, rolling updates that
// keep availability, and status that reads as Kubernetes status.
import assert from "node:assert/strict";
import { test } from "node:test";
import { hostPortOf, isPodReady } from "../../sandbox/endpoints.ts";
import { R } from "../../sandbox/resources.ts";
import { Store } from "../../sandbox/store.ts";
import {
  aDeployment,
  get,
  NS,
  podsOf,
  readyPods,
  rolledOut,
  startRecording,
  waitFor,
} from "./sandbox-workloads.helpers.ts";

test("a 3-replica Deployment becomes ready, then rolls from v1 to v2 without dropping below replicas - maxUnavailable", async () => {
  const store = new Store();
  const workloads = await startRecording(store);
  try {
    const begin = Date.now();
    store.create(R.deployments, NS, aDeployment("web", "sandbox.local/demo-app:v1", 3));
    const ready = await waitFor("web rolled out", () => rolledOut(store.get(R.deployments, NS, "web")));
    assert.ok(ready);
    console.log(`# 3 replicas ready in ${Date.now() - begin} ms`);
    const deploy = store.mustGet(R.deployments, NS, "web");
    assert.equal(deploy.metadata.annotations?.["deployment.kubernetes.io/revision"], "1");
    assert.deepEqual(
      { ...deploy.status, conditions: undefined },
      {
        observedGeneration: 1,
        replicas: 3,
        updatedReplicas: 3,
        readyReplicas: 3,
        availableReplicas: 3,
        unavailableReplicas: 0,
        conditions: undefined,
      },
    );
    const available = deploy.status.conditions.find((c: { type: string }) => c.type === "Available");
    assert.equal(available.status, "True");
    const [rs] = store.list(R.replicasets, NS);
    assert.equal(rs.metadata.ownerReferences?.[0].uid, deploy.metadata.uid);
    assert.equal(rs.status.readyReplicas, 3);
    for (const pod of podsOf(store, "web")) {
      assert.equal(pod.metadata.labels?.["pod-template-hash"], rs.metadata.labels?.["pod-template-hash"]);
      assert.equal(pod.status.phase, "Running");
      assert.equal(pod.status.podIP, "127.0.0.1");
      const conditionTypes = pod.status.conditions.map((c: { type: string }) => c.type);
      assert.deepEqual(conditionTypes, ["PodScheduled", "Initialized", "ContainersReady", "Ready"]);
      const port = hostPortOf(pod, "http");
      assert.ok(port, "host port annotation written");
      assert.deepEqual(await get(port), { status: 200, body: "v1\n" });
    }

    // Record the number of ready pods after every pod change during the rollout.
    let minimumReady = Number.POSITIVE_INFINITY;
    const unwatch = store.watch(R.pods, NS, "app=web", () => {
      minimumReady = Math.min(minimumReady, readyPods(store, "web").length);
    });
    store.mutate(R.deployments, NS, "web", (d) => {
      d.spec.template.spec.containers[0].image = "sandbox.local/demo-app:v2";
    });
    const rollStart = Date.now();
    await waitFor("web rolled out to v2", () => {
      const d = store.get(R.deployments, NS, "web");
      return d?.metadata.generation === 2 && rolledOut(d) && podsOf(store, "web").length === 3;
    });
    unwatch();
    console.log(`# rolled 3 replicas v1 → v2 in ${Date.now() - rollStart} ms; fewest ready pods seen: ${minimumReady}`);
    // Defaults for 3 replicas: maxSurge ceil(0.75) = 1, maxUnavailable floor(0.75) = 0.
    assert.equal(minimumReady, 3);
    for (const pod of podsOf(store, "web")) {
      assert.equal(pod.spec.containers[0].image, "sandbox.local/demo-app:v2");
      assert.deepEqual(await get(hostPortOf(pod, 8080)!), { status: 200, body: "v2\n" });
    }
    const after = store.mustGet(R.deployments, NS, "web");
    assert.equal(after.metadata.annotations?.["deployment.kubernetes.io/revision"], "2");
    const replicaSets = store.list(R.replicasets, NS);
    assert.equal(replicaSets.length, 2);
    assert.deepEqual(replicaSets.map((r) => r.spec.replicas).sort(), [0, 3]);
  } finally {
    await workloads.stop();
  }
});

test("maxUnavailable 1 of 4 with no surge keeps 3 ready; scaling down marks pods terminating before they go", async () => {
  const store = new Store();
  const workloads = await startRecording(store);
  try {
    const strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } };
    const begin = Date.now();
    store.create(R.deployments, NS, aDeployment("api", "sandbox.local/demo-app:v1", 4, { strategy }));
    await waitFor("api rolled out", () => rolledOut(store.get(R.deployments, NS, "api")));
    console.log(`# 4 replicas (probe period 1 s) ready in ${Date.now() - begin} ms`);
    let minimumReady = Number.POSITIVE_INFINITY;
    let mostPods = 0;
    const unwatch = store.watch(R.pods, NS, "app=api", () => {
      minimumReady = Math.min(minimumReady, readyPods(store, "api").length);
      mostPods = Math.max(mostPods, podsOf(store, "api").filter((p) => !p.metadata.deletionTimestamp).length);
    });
    store.mutate(R.deployments, NS, "api", (d) => {
      d.spec.template.spec.containers[0].image = "sandbox.local/demo-app:v2";
    });
    await waitFor("api on v2", () => {
      const d = store.get(R.deployments, NS, "api");
      return d?.metadata.generation === 2 && rolledOut(d) && podsOf(store, "api").length === 4;
    });
    unwatch();
    assert.equal(minimumReady, 3);
    assert.equal(mostPods, 4, "maxSurge 0: never more than 4 active pods");

    const seenTerminating = new Map<string, boolean>();
    const deletedAfterTerminating: boolean[] = [];
    const unwatchDeletes = store.watch(R.pods, NS, "app=api", (event) => {
      const name = event.object.metadata.name!;
      if (event.type === "MODIFIED" && event.object.metadata.deletionTimestamp) {
        assert.equal(isPodReady(event.object), false);
        const ready = event.object.status.conditions.find((c: { type: string }) => c.type === "Ready");
        assert.equal(ready.status, "False", "a terminating pod is marked not ready at once");
        seenTerminating.set(name, true);
      }
      if (event.type === "DELETED") deletedAfterTerminating.push(seenTerminating.get(name) === true);
    });
    store.mutate(R.deployments, NS, "api", (d) => {
      d.spec.replicas = 1;
    });
    await waitFor(
      "api scaled to 1",
      () => rolledOut(store.get(R.deployments, NS, "api")) && podsOf(store, "api").length === 1,
    );
    unwatchDeletes();
    assert.deepEqual(deletedAfterTerminating, [true, true, true]);
  } finally {
    await workloads.stop();
  }
});
