// Deleting a running pod through the API is graceful, as with a kubelet: the
// pod turns Terminating and unready first, and is removed once its process stopped.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { isPodReady } from "../../sandbox/endpoints.ts";
import { type Sandbox, startSandbox } from "../../sandbox/index.ts";
import { R } from "../../sandbox/resources.ts";
import { eventually } from "../helpers/sandbox-app.ts";

let sandbox: Sandbox;
let core: CoreV1Api;
before(async () => {
  sandbox = await startSandbox({ traffic: false });
  const config = new KubeConfig();
  config.loadFromFile(sandbox.kubeconfigPath);
  core = config.makeApiClient(CoreV1Api);
});
after(async () => {
  await sandbox.stop();
});

test("DELETE of a running pod: Terminating and unready first, then gone with its process", async () => {
  await core.createNamespacedPod({
    namespace: "default",
    body: {
      metadata: { name: "web" },
      spec: { containers: [{ name: "web", image: "sandbox.local/demo-app:v1", ports: [{ containerPort: 8080 }] }] },
    },
  });
  const running = await eventually("the pod to be ready", () => {
    const pod = sandbox.store.get(R.pods, "default", "web");
    return pod && isPodReady(pod) ? pod : undefined;
  });
  const pid = Number(String(running.status.containerStatuses[0].containerID).replace("sandbox://", ""));
  assert.ok(pid > 0, "the pod runs as a real process");
  const seen: { deleting: boolean; ready: boolean }[] = [];
  const stop = sandbox.store.watch(R.pods, "default", undefined, (event) => {
    if (event.type === "MODIFIED")
      seen.push({ deleting: Boolean(event.object.metadata.deletionTimestamp), ready: isPodReady(event.object) });
  });
  const answer = await core.deleteNamespacedPod({ name: "web", namespace: "default" });
  assert.ok(answer.metadata?.deletionTimestamp, "the answer is the Terminating pod");
  await eventually("the pod to be removed", () => sandbox.store.get(R.pods, "default", "web") === undefined, 10_000);
  stop();
  assert.deepEqual(seen[0], { deleting: true, ready: false }, "first change: Terminating and not ready, in one write");
  assert.throws(() => process.kill(pid, 0), /ESRCH/, "its process is gone");
});
