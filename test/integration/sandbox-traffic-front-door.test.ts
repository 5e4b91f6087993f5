// The sandbox front door routes real HTTP requests to real processes by the
// store's Ingress canary annotations, VirtualService weights and HTTPRoute
// weights. Pods here are small node:http servers standing in for the pod runtime
// (sandbox/traffic/fake-pods.ts records them in the store exactly as the runtime
// does: host-port annotation + Ready condition), so the subject is the routing.
import assert from "node:assert/strict";
import http from "node:http";
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
import { seededRng } from "../../sandbox/traffic/model.ts";

const store = new Store();
const pods: FakePod[] = [];
let traffic: Traffic;

before(async () => {
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
  pods.push(
    await startFakePod(store, { name: "not-ready", labels: { app: "nothing-ready" }, version: "v0", ready: false }),
  );
  store.create(R.ingresses, "default", anIngress("web", { host: "ing.test", service: "web-stable" }));
  store.create(
    R.ingresses,
    "default",
    aCanaryIngress("web-canary", { host: "ing.test", service: "web-canary", weight: 25, header: "X-Canary" }),
  );
  store.create(R.ingresses, "default", anIngress("empty", { host: "empty.test", service: "empty" }));
  const vsRoutes = [
    weightedRoute([
      ["web-stable", 75],
      ["web-canary", 25],
    ]),
  ];
  store.create(R.virtualservices, "default", aVirtualService("web", ["vs.test"], vsRoutes));
  const gwRules = [
    aRouteRule([
      ["web-stable", 3],
      ["web-canary", 1],
    ]),
  ];
  store.create(R.httproutes, "default", anHttpRoute("web", ["gw.test"], gwRules));
  // A seeded draw keeps the measured splits reproducible; the proxying is real.
  traffic = await startTraffic(store, { rng: seededRng(20_251_122) });
});

after(async () => {
  await traffic?.stop();
  for (const pod of pods) await pod.stop();
});

const load = (host: string, count: number, headers?: Record<string, string>) =>
  sendLoad({ url: traffic.url, host, count, headers, concurrency: 16 });

for (const [kind, host] of [
  ["Ingress canary-weight 25", "ing.test"],
  ["VirtualService weights 75/25", "vs.test"],
  ["HTTPRoute weights 3:1", "gw.test"],
]) {
  test(`${kind}: the canary gets 25 % ± 3 pp of 2,000 requests`, async () => {
    const result = await load(host, 2000);
    assert.equal(result.statuses["200"], 2000, JSON.stringify(result));
    const canary = sharePercent(result, "v2");
    console.log(`front door ${kind}: canary ${canary.toFixed(2)} % of 2000`);
    assert.ok(Math.abs(canary - 25) <= 3, `${kind}: canary share ${canary.toFixed(1)} %`);
  });
}

test("the header always/never overrides the weight", async () => {
  const always = await load("ing.test", 200, { "x-canary": "always" });
  assert.deepEqual(always.versions, { v2: 200 });
  const never = await load("ing.test", 200, { "x-canary": "never" });
  assert.deepEqual(never.versions, { v1: 200 });
});

test("responses name the pod and the Service; pods of a Service share requests round robin", async () => {
  const result = await load("ing.test", 400, { "x-canary": "never" });
  assert.deepEqual(result.pods, { "default/web-stable-a": 200, "default/web-stable-b": 200 });
  const stats = traffic.stats();
  assert.ok(stats.services["default/web-stable"] >= 400);
  assert.ok(stats.pods["default/web-canary-a"] > 0);
});

test("no route → 404; a Service without ready endpoints → 503", async () => {
  assert.deepEqual((await load("nobody.test", 5)).statuses, { 404: 5 });
  assert.deepEqual((await load("empty.test", 5)).statuses, { 503: 5 });
  pods[3].setReady(true);
  assert.deepEqual((await load("empty.test", 5)).versions, { v0: 5 }, "readiness change applies at once");
  pods[3].setReady(false);
  assert.deepEqual((await load("empty.test", 5)).statuses, { 503: 5 });
});

test("weight changes in the store apply to the next requests", async () => {
  const set = (weight: number) =>
    store.mutate(R.ingresses, "default", "web-canary", (ing) => {
      ing.metadata.annotations!["nginx.ingress.kubernetes.io/canary-weight"] = String(weight);
    });
  set(100);
  assert.deepEqual((await load("ing.test", 100)).versions, { v2: 100 });
  set(0);
  assert.deepEqual((await load("ing.test", 100)).versions, { v1: 100 });
  store.mutate(R.virtualservices, "default", "web", (vs) => {
    vs.spec.http = [
      weightedRoute([
        ["web-stable", 0],
        ["web-canary", 100],
      ]),
    ];
  });
  assert.deepEqual((await load("vs.test", 100)).versions, { v2: 100 });
  store.delete(R.httproutes, "default", "web");
  assert.deepEqual((await load("gw.test", 5)).statuses, { 404: 5 });
});

test("method, path, query and body reach the pod", async () => {
  const { hostname, port } = new URL(traffic.url);
  const body = "x".repeat(100_000);
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request(
      {
        host: hostname,
        port,
        method: "POST",
        path: "/orders?id=1",
        headers: { host: "ing.test", "x-canary": "never" },
      },
      resolve,
    );
    req.on("error", reject);
    req.end(body);
  });
  response.resume();
  assert.equal(response.statusCode, 200);
  assert.equal(response.headers["x-body-bytes"], "100000");
  assert.equal(response.headers["x-sandbox-service"], "default/web-stable");
});

test("a pod whose process is gone before its readiness says so answers 502, naming the pod", async () => {
  const dying = await startFakePod(store, { name: "dying", labels: { app: "dying" }, version: "v9" });
  createService(store, "dying", { app: "dying" });
  store.create(R.ingresses, "default", anIngress("dying", { host: "dying.test", service: "dying" }));
  assert.deepEqual((await load("dying.test", 3)).versions, { v9: 3 });
  // Close the server but keep the pod Ready in the store, as in the moment before a probe fails.
  const stillReady = store.get(R.pods, "default", "dying")!;
  await dying.stop();
  store.create(R.pods, "default", { ...stillReady, metadata: { ...stillReady.metadata, resourceVersion: undefined } });
  const { hostname, port } = new URL(traffic.url);
  // node:http rather than fetch: fetch does not let a caller set the Host header.
  const { status, body } = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
    http
      .get({ host: hostname, port, path: "/", headers: { host: "dying.test" } }, (res) => {
        let text = "";
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode, body: text }));
      })
      .on("error", reject);
  });
  assert.equal(status, 502);
  assert.match(body, /pod default\/dying/);
  store.delete(R.pods, "default", "dying");
});
