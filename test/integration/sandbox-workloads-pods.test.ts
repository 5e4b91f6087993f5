// Pod life in the sandbox: crash loops, failing readiness, unknown images,
// Recreate and paused Deployments, and nothing left running after stop().
import assert from "node:assert/strict";
import { test } from "node:test";
import { hostPortOf } from "../../sandbox/endpoints.ts";
import { R } from "../../sandbox/resources.ts";
import { Store } from "../../sandbox/store.ts";
import {
  aDeployment,
  get,
  isAlive,
  NS,
  podsOf,
  readyPods,
  rolledOut,
  startRecording,
  waitFor,
} from "./sandbox-workloads.helpers.ts";

test("v1-crash1 restarts with CrashLoopBackOff, each restart a new process", async () => {
  const store = new Store();
  const workloads = await startRecording(store);
  try {
    store.create(R.deployments, NS, aDeployment("crashy", "sandbox.local/demo-app:v1-crash1", 1));
    const reasons = new Set<string>();
    const unwatch = store.watch(R.pods, NS, "app=crashy", (event) => {
      for (const c of event.object.status?.containerStatuses ?? [])
        if (c.state?.waiting) reasons.add(c.state.waiting.reason);
    });
    const pod = await waitFor(
      "two restarts",
      () => podsOf(store, "crashy").find((p) => p.status?.containerStatuses?.[0]?.restartCount >= 2),
      15_000,
    );
    unwatch();
    const status = pod.status.containerStatuses[0];
    assert.ok(reasons.has("CrashLoopBackOff"), `waiting reasons seen: ${[...reasons].join(", ")}`);
    assert.equal(status.lastState.terminated.exitCode, 1);
    assert.equal(status.lastState.terminated.reason, "Error");
    assert.equal(workloads.seen.size >= 2, true, "each restart is a new process");
    const deploy = store.mustGet(R.deployments, NS, "crashy");
    assert.equal(deploy.status.replicas, 1);
  } finally {
    await workloads.stop();
  }
});

test("v1-unhealthy runs but never becomes Ready", async () => {
  const store = new Store();
  const workloads = await startRecording(store);
  try {
    store.create(R.deployments, NS, aDeployment("sick", "sandbox.local/demo-app:v1-unhealthy", 2));
    const running = await waitFor("2 running pods", () => {
      const pods = podsOf(store, "sick").filter((p) => p.status?.phase === "Running");
      return pods.length === 2 ? pods : undefined;
    });
    // Running means the process started; it listens a moment later.
    const port = hostPortOf(running[0], 8080)!;
    let answer: { status: number; body: string } | undefined;
    const deadline = Date.now() + 5000;
    while (!answer && Date.now() < deadline) {
      answer = await get(port).catch(() => undefined);
      if (!answer) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(answer, { status: 200, body: "v1-unhealthy\n" });
    await new Promise((resolve) => setTimeout(resolve, 2500)); // two and a half probe periods
    assert.equal(readyPods(store, "sick").length, 0);
    const deploy = store.mustGet(R.deployments, NS, "sick");
    assert.equal(deploy.status.availableReplicas, 0);
    assert.equal(deploy.status.unavailableReplicas, 2);
    const available = deploy.status.conditions.find((c: { type: string }) => c.type === "Available");
    assert.equal(available.status, "False");
    assert.equal(rolledOut(deploy), false);
    const ready = running[0].status.conditions.find((c: { type: string }) => c.type === "Ready");
    assert.equal(ready.reason, "ContainersNotReady");
  } finally {
    await workloads.stop();
  }
});

test("an image that is neither sandbox.local nor runnable without Docker shows ErrImagePull/ImagePullBackOff", async () => {
  const store = new Store();
  const workloads = await startRecording(store);
  try {
    store.create(R.pods, NS, {
      metadata: { name: "nope" },
      spec: { containers: [{ name: "app", image: "registry.example.com/nope:v1" }] },
    });
    const reasons = new Set<string>();
    await waitFor("ImagePullBackOff", () => {
      const waiting = store.get(R.pods, NS, "nope")?.status?.containerStatuses?.[0]?.state?.waiting;
      if (waiting) reasons.add(waiting.reason);
      return waiting?.reason === "ImagePullBackOff" ? waiting : undefined;
    });
    const pod = store.mustGet(R.pods, NS, "nope");
    assert.equal(pod.status.phase, "Pending");
    assert.ok(reasons.has("ErrImagePull"));
  } finally {
    await workloads.stop();
  }
});

test("Recreate stops every old pod before a new one starts", async () => {
  const store = new Store();
  const workloads = await startRecording(store);
  try {
    store.create(
      R.deployments,
      NS,
      aDeployment("batch", "sandbox.local/demo-app:v1", 2, { strategy: { type: "Recreate" } }),
    );
    await waitFor("batch rolled out", () => rolledOut(store.get(R.deployments, NS, "batch")));
    let overlap = false;
    const unwatch = store.watch(R.pods, NS, "app=batch", () => {
      const images = new Set(podsOf(store, "batch").map((p) => p.spec.containers[0].image));
      if (images.size > 1) overlap = true;
    });
    store.mutate(R.deployments, NS, "batch", (d) => {
      d.spec.template.spec.containers[0].image = "sandbox.local/demo-app:v2";
    });
    await waitFor("batch on v2", () => {
      const d = store.get(R.deployments, NS, "batch");
      return d?.metadata.generation === 2 && rolledOut(d);
    });
    unwatch();
    assert.equal(overlap, false, "old and new pods never existed together");
  } finally {
    await workloads.stop();
  }
});

test("a paused Deployment does not roll out a new template but still scales; resuming rolls it out", async () => {
  const store = new Store();
  const workloads = await startRecording(store);
  try {
    store.create(R.deployments, NS, aDeployment("held", "sandbox.local/demo-app:v1", 1));
    await waitFor("held rolled out", () => rolledOut(store.get(R.deployments, NS, "held")));
    store.mutate(R.deployments, NS, "held", (d) => {
      d.spec.paused = true;
      d.spec.replicas = 2;
      d.spec.template.spec.containers[0].image = "sandbox.local/demo-app:v2";
    });
    await waitFor("2 ready v1 pods", () => readyPods(store, "held").length === 2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(
      new Set(podsOf(store, "held").map((p) => p.spec.containers[0].image)),
      new Set(["sandbox.local/demo-app:v1"]),
    );
    const progressing = store
      .mustGet(R.deployments, NS, "held")
      .status.conditions.find((c: { type: string }) => c.type === "Progressing");
    assert.equal(progressing.reason, "DeploymentPaused");
    store.mutate(R.deployments, NS, "held", (d) => {
      d.spec.paused = false;
    });
    await waitFor("held on v2", () => {
      const d = store.get(R.deployments, NS, "held");
      return rolledOut(d) && podsOf(store, "held").every((p) => p.spec.containers[0].image.endsWith(":v2")) && d;
    });
  } finally {
    await workloads.stop();
  }
});

test("stop() kills every pod process it started", async () => {
  const store = new Store();
  const workloads = await startRecording(store);
  store.create(R.deployments, NS, aDeployment("many", "sandbox.local/demo-app:v1", 4, { probe: false }));
  await waitFor("4 ready", () => readyPods(store, "many").length === 4);
  const pids = [...workloads.seen];
  assert.equal(pids.length, 4);
  assert.ok(pids.every(isAlive));
  await workloads.stop(); // asserts that none of the PIDs is alive afterwards
});

test("a rollout that stops making progress reports ProgressDeadlineExceeded", async () => {
  const store = new Store();
  const workloads = await startRecording(store);
  try {
    const deploy = aDeployment("stuck", "sandbox.local/demo-app:v1-unhealthy", 1);
    deploy.spec.progressDeadlineSeconds = 1;
    store.create(R.deployments, NS, deploy);
    const begin = Date.now();
    const condition = await waitFor("ProgressDeadlineExceeded", () => {
      const conditions = store.get(R.deployments, NS, "stuck")?.status?.conditions ?? [];
      return conditions.find((c: { type: string; reason: string }) => c.reason === "ProgressDeadlineExceeded");
    });
    assert.equal(condition.type, "Progressing");
    assert.equal(condition.status, "False");
    assert.ok(Date.now() - begin >= 1000, "not before the deadline");
  } finally {
    await workloads.stop();
  }
});
