// End to end inside the sandbox: Deployments run real demo-app processes (the pod
// runtime), and the sandbox's front door splits traffic between them as a canary
// Ingress says. Nothing is stood in for here.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { isPodReady } from "../../sandbox/endpoints.ts";
import { type Sandbox, startSandbox } from "../../sandbox/index.ts";
import { R } from "../../sandbox/resources.ts";
import type { KubeObject } from "../../sandbox/store.ts";
import { aCanaryIngress, anIngress } from "../../sandbox/traffic/builders.ts";
import { sendLoad, sharePercent } from "../../sandbox/traffic/load.ts";
import { seededRng } from "../../sandbox/traffic/model.ts";

let sandbox: Sandbox;

function aDeployment(track: string, version: string, replicas: number): KubeObject {
  const labels = { app: "web", track };
  return {
    metadata: { name: `web-${track}` },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: "app",
              image: `sandbox.local/demo-app:${version}`,
              ports: [{ containerPort: 8080, name: "http" }],
              readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  };
}

async function waitForReadyPods(track: string, count: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = sandbox.store.list(R.pods, "default", `app=web,track=${track}`).filter(isPodReady);
    if (ready.length === count) return;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${count} ready ${track} pods (have ${ready.length})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

before(async () => {
  // A seeded draw keeps the measured split reproducible; pods and proxying are real.
  sandbox = await startSandbox({ traffic: { rng: seededRng(7) } });
  const { store } = sandbox;
  for (const track of ["stable", "canary"]) {
    store.create(R.services, "default", {
      metadata: { name: `web-${track}` },
      spec: { selector: { app: "web", track }, ports: [{ name: "http", port: 80, targetPort: "http" }] },
    });
  }
  store.create(R.deployments, "default", aDeployment("stable", "v1", 2));
  store.create(R.deployments, "default", aDeployment("canary", "v2", 1));
  store.create(R.ingresses, "default", anIngress("web", { host: "shop.test", service: "web-stable" }));
  store.create(
    R.ingresses,
    "default",
    aCanaryIngress("web-canary", { host: "shop.test", service: "web-canary", weight: 25, header: "x-canary" }),
  );
  await waitForReadyPods("stable", 2);
  await waitForReadyPods("canary", 1);
});

after(async () => {
  await sandbox?.stop();
});

test("the sandbox's front door splits 2,000 requests to real demo-app pods 75/25 (± 3 pp)", async () => {
  assert.ok(sandbox.frontDoorUrl, "startSandbox starts the front door by default");
  const result = await sendLoad({ url: sandbox.frontDoorUrl, host: "shop.test", count: 2000, concurrency: 16 });
  assert.deepEqual(result.statuses, { 200: 2000 });
  const canary = sharePercent(result, "v2");
  assert.ok(Math.abs(canary - 25) <= 3, `canary share ${canary.toFixed(1)} %`);
  assert.equal(Object.keys(result.pods).length, 3, `every pod served: ${JSON.stringify(result.pods)}`);
  const always = await sendLoad({
    url: sandbox.frontDoorUrl,
    host: "shop.test",
    count: 50,
    headers: { "x-canary": "always" },
  });
  assert.deepEqual(always.versions, { v2: 50 });
});

test("scaling the canary to zero leaves its Service without endpoints: its share answers 503", async () => {
  sandbox.store.mutate(R.deployments, "default", "web-canary", (d) => {
    d.spec.replicas = 0;
  });
  await waitForReadyPods("canary", 0);
  const always = await sendLoad({
    url: sandbox.frontDoorUrl!,
    host: "shop.test",
    count: 20,
    headers: { "x-canary": "always" },
  });
  assert.deepEqual(always.statuses, { 503: 20 });
});
