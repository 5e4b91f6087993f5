// The sandbox renders its routing as a real nginx configuration and reloads nginx
// on every change. Real nginx, real sockets; pods are small node:http servers
// recorded in the store as the pod runtime records its processes
// (sandbox/traffic/fake-pods.ts), so the subject is nginx's routing.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { Store } from "../../sandbox/store.ts";
import {
  aCanaryIngress,
  anHttpRoute,
  anIngress,
  aRouteRule,
  aVirtualService,
  weightedRoute,
} from "../../sandbox/traffic/builders.ts";
import { createService, type FakePod, startFakePod } from "../../sandbox/traffic/fake-pods.ts";
import { startTraffic, type Traffic } from "../../sandbox/traffic/index.ts";
import { sendLoad, sharePercent } from "../../sandbox/traffic/load.ts";

const store = new Store();
const pods: FakePod[] = [];
let traffic: Traffic;
let nginxUrl: string;

const setCanaryWeight = (weight: number) =>
  store.mutate(R.ingresses, "default", "web-canary", (ing) => {
    ing.metadata.annotations!["nginx.ingress.kubernetes.io/canary-weight"] = String(weight);
  });

before(async () => {
  const probe = spawnSync("nginx", ["-v"]);
  if (probe.error) assert.fail("nginx is missing on this machine: run scripts/real-parts.sh to install the real parts");
  createService(store, "web-stable", { app: "web", track: "stable" });
  createService(store, "web-canary", { app: "web", track: "canary" });
  createService(store, "empty", { app: "nothing-ready" });
  pods.push(
    await startFakePod(store, { name: "web-stable-a", labels: { app: "web", track: "stable" }, version: "v1" }),
  );
  pods.push(
    await startFakePod(store, { name: "web-stable-b", labels: { app: "web", track: "stable" }, version: "v1" }),
  );
  pods.push(
    await startFakePod(store, { name: "web-canary-a", labels: { app: "web", track: "canary" }, version: "v2" }),
  );
  store.create(R.ingresses, "default", anIngress("web", { host: "ing.test", service: "web-stable" }));
  store.create(
    R.ingresses,
    "default",
    aCanaryIngress("web-canary", { host: "ing.test", service: "web-canary", weight: 25, header: "X-Canary" }),
  );
  store.create(R.ingresses, "default", anIngress("empty", { host: "empty.test", service: "empty" }));
  store.create(
    R.virtualservices,
    "default",
    aVirtualService(
      "web",
      ["vs.test"],
      [
        weightedRoute([
          ["web-stable", 75],
          ["web-canary", 25],
        ]),
      ],
    ),
  );
  store.create(
    R.httproutes,
    "default",
    anHttpRoute(
      "web",
      ["gw.test"],
      [
        aRouteRule([
          ["web-stable", 3],
          ["web-canary", 1],
        ]),
      ],
    ),
  );
  traffic = await startTraffic(store, { nginx: {} });
  assert.ok(traffic.nginxUrl, "startTraffic with nginx options returns nginxUrl");
  nginxUrl = traffic.nginxUrl;
});

after(async () => {
  await traffic?.stop();
  for (const pod of pods) await pod.stop();
});

const load = (host: string, count: number, headers?: Record<string, string>) =>
  sendLoad({ url: nginxUrl, host, count, headers, concurrency: 16 });

for (const [kind, host] of [
  ["Ingress canary-weight 25", "ing.test"],
  ["VirtualService weights 75/25", "vs.test"],
  ["HTTPRoute weights 3:1", "gw.test"],
]) {
  test(`nginx, ${kind}: the canary gets 25 % ± 3 pp of 2,000 requests`, async () => {
    const result = await load(host, 2000);
    assert.equal(result.statuses["200"], 2000, JSON.stringify(result));
    const canary = sharePercent(result, "v2");
    console.log(`nginx ${kind}: canary ${canary.toFixed(2)} % of 2000`);
    assert.ok(Math.abs(canary - 25) <= 3, `${kind}: canary share ${canary.toFixed(1)} %`);
  });
}

test("nginx honours the canary header always/never and names the pod", async () => {
  const always = await load("ing.test", 200, { "x-canary": "always" });
  assert.deepEqual(always.versions, { v2: 200 });
  assert.deepEqual(always.pods, { "default/web-canary-a": 200 });
  const never = await load("ing.test", 200, { "x-canary": "never" });
  assert.deepEqual(never.versions, { v1: 200 });
  // Each of nginx's two workers round-robins on its own, so the halves are near, not exactly, even.
  const stablePods = never.pods;
  assert.deepEqual(Object.keys(stablePods).sort(), ["default/web-stable-a", "default/web-stable-b"]);
  for (const count of Object.values(stablePods)) assert.ok(count >= 70, `round robin: ${JSON.stringify(stablePods)}`);
});

test("nginx: no route → 404, no ready endpoints → 503", async () => {
  assert.deepEqual((await load("nobody.test", 5)).statuses, { 404: 5 });
  assert.deepEqual((await load("empty.test", 5)).statuses, { 503: 5 });
});

/** Sends load while the canary weight changes four times (four reloads). */
async function loadDuringReloads(keepAlive: boolean) {
  const during = sendLoad({
    url: nginxUrl,
    host: "ing.test",
    count: 6000,
    concurrency: 16,
    keepAlive,
    timeoutMs: 60_000,
  });
  for (const weight of [100, 0, 50, 100]) {
    setCanaryWeight(weight);
    await traffic.settled(10_000);
  }
  const result = await during;
  console.log(`during reloads (keepAlive ${keepAlive}): ${JSON.stringify(result)}`);
  assert.equal(result.errors, 0, `failed requests: ${result.errorMessages.join("; ")}`);
  assert.deepEqual(result.statuses, { 200: 6000 });
  assert.deepEqual((await load("ing.test", 300)).versions, { v2: 300 }, "weight 100 applied");
  setCanaryWeight(0);
  await traffic.settled(10_000);
  assert.deepEqual((await load("ing.test", 300)).versions, { v1: 300 }, "weight 0 applied");
  setCanaryWeight(25);
  await traffic.settled(10_000);
  return result;
}

test("weight changes reach nginx by reload; new connections see zero failures during reloads", async () => {
  const result = await loadDuringReloads(false);
  assert.equal(result.retries, 0, "a fresh connection is never retried");
});

test("keep-alive clients see zero failures during reloads when they retry a stale idle connection", async () => {
  // An old worker closes its idle keep-alive connections when a reload retires
  // it; a request racing that close is retried once, as browsers, curl and Go do
  // (see LoadResult.retries). Everything else must succeed first time.
  const result = await loadDuringReloads(true);
  assert.ok(result.retries < 6000 * 0.02, `retries ${result.retries} of 6000`);
});

test("endpoint changes reach nginx: a pod that is no longer ready gets no traffic", async () => {
  pods[1].setReady(false);
  await traffic.settled(10_000);
  const result = await load("ing.test", 200, { "x-canary": "never" });
  assert.deepEqual(result.pods, { "default/web-stable-a": 200 });
  pods[1].setReady(true);
  await traffic.settled(10_000);
});
