// The mirror (sandbox/mirror.ts) against a real HTTP API: the sandbox's own,
// which client-node's KubeConfig and Watch accept as they accept a real API
// server. What the real-cluster suites rely on is checked here: objects and
// watch events arrive verbatim, a watch resumed from an expired resourceVersion
// (410) relists and catches up, a type the server does not serve is skipped, and
// the front door running on the mirrored Store routes by weight to real pods.
// Last, the front door reaching endpoints the way a real cluster publishes them
// (EndpointSlices with their own addresses), with real sockets.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { isPodReady, SERVICE_NAME_LABEL } from "../../sandbox/endpoints.ts";
import { type Sandbox, startSandbox } from "../../sandbox/index.ts";
import { MIRRORED_TYPES, type Mirror, mirrorCluster } from "../../sandbox/mirror.ts";
import { R, type ResourceType } from "../../sandbox/resources.ts";
import { type KubeObject, Store, type WatchEvent } from "../../sandbox/store.ts";
import { aCanaryIngress, anHttpRoute, anIngress, aRouteRule, aVirtualService } from "../../sandbox/traffic/builders.ts";
import { startClusterTraffic } from "../../sandbox/traffic/cluster.ts";
import { startTraffic } from "../../sandbox/traffic/index.ts";
import { sendLoad, sharePercent } from "../../sandbox/traffic/load.ts";
import { seededRng } from "../../sandbox/traffic/model.ts";

const NS = "mirror-test";

async function eventually<T>(what: string, check: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * An object as the API serves it: its JSON. (The sandbox's Store keeps some keys
 * with undefined values, e.g. metadata.generation of a ConfigMap; JSON has no such keys.)
 */
const asServed = <T>(value: T): T => JSON.parse(JSON.stringify(value));

const dataOf = (configMap: KubeObject) => configMap.data as Record<string, string>;

/** Every watch event of one type in a namespace, as the listener received it. */
function recordEvents(store: Store, type: ResourceType, namespace: string) {
  const events: WatchEvent[] = [];
  const stop = store.watch(type, namespace, undefined, (event) => events.push(event));
  return { events, stop };
}

describe("mirroring the sandbox's API", () => {
  let sandbox: Sandbox;
  let mirror: Mirror;
  const logs: string[] = [];

  before(async () => {
    sandbox = await startSandbox({ workloads: false, traffic: false, namespaces: [NS, "expiry"] });
    // Objects that exist before the mirror starts arrive through its first list.
    sandbox.store.create(R.configmaps, NS, { metadata: { name: "before", labels: { a: "1" } }, data: { k: "v" } });
    sandbox.store.create(R.virtualservices, NS, aVirtualService("vs-before", ["shop.test"], []));
    mirror = mirrorCluster({
      kubeconfigPath: sandbox.kubeconfigPath,
      resources: MIRRORED_TYPES,
      missingRecheckMs: 100,
      log: (message) => logs.push(message),
    });
    await mirror.synced;
  });

  after(async () => {
    await mirror?.stop();
    await sandbox?.stop();
  });

  test("the first list brings every object verbatim, with apiVersion and kind", async () => {
    for (const type of MIRRORED_TYPES) {
      if (type === R.endpointslices) continue;
      assert.deepEqual(mirror.store.list(type), asServed(sandbox.store.list(type)), type.plural);
    }
    const vs = mirror.store.get(R.virtualservices, NS, "vs-before");
    assert.equal(vs?.apiVersion, "networking.istio.io/v1");
    assert.equal(vs?.kind, "VirtualService");
    assert.equal(vs?.metadata.uid, sandbox.store.get(R.virtualservices, NS, "vs-before")?.metadata.uid);
  });

  test("creates, updates (spec, status) and deletes reach the mirror as the same events with the same objects", async () => {
    const types = [R.configmaps, R.ingresses, R.httproutes, R.leases];
    const server = types.map((type) => recordEvents(sandbox.store, type, NS));
    const mirrored = types.map((type) => recordEvents(mirror.store, type, NS));
    const { store } = sandbox;
    store.create(R.configmaps, NS, { metadata: { name: "cm" }, data: { a: "1" } });
    store.mutate(R.configmaps, NS, "cm", (o) => (dataOf(o).a = "2"));
    store.create(R.ingresses, NS, anIngress("web", { host: "shop.test", service: "web-stable" }));
    store.mutate(R.ingresses, NS, "web", (o) => (o.spec.rules[0].host = "www.shop.test")); // generation 2
    store.mutate(
      R.ingresses,
      NS,
      "web",
      (o) => (o.status = { loadBalancer: { ingress: [{ ip: "10.0.0.1" }] } }),
      "status",
    );
    store.create(R.httproutes, NS, anHttpRoute("route", ["shop.test"], [aRouteRule([["web-stable", 1]])]));
    store.create(R.leases, NS, { metadata: { name: "lock" }, spec: { holderIdentity: "me" } });
    store.markDeleting(R.configmaps, NS, "cm", 30);
    store.delete(R.configmaps, NS, "cm");
    store.delete(R.httproutes, NS, "route");
    await eventually("the mirror to see the last delete", () => !mirror.store.get(R.httproutes, NS, "route"));
    await mirror.caughtUp();
    types.forEach((type, i) => {
      assert.ok(server[i].events.length > 0, `${type.plural}: the sandbox emitted events`);
      assert.deepEqual(mirrored[i].events, asServed(server[i].events), `${type.plural}: same events, same objects`);
    });
    const ingress = mirror.store.get(R.ingresses, NS, "web");
    assert.equal(ingress?.metadata.generation, 2);
    assert.deepEqual(ingress?.status, { loadBalancer: { ingress: [{ ip: "10.0.0.1" }] } });
    for (const recorder of [...server, ...mirrored]) recorder.stop();
  });

  test("a type the server does not serve is skipped and reported once; the rest is mirrored", async () => {
    // The sandbox does not serve EndpointSlices (a real cluster does): the mirror looks for them
    // again every 100 ms here, and says so only once.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const about = logs.filter((line) => line.includes("endpointslices.discovery.k8s.io"));
    assert.deepEqual(about, [
      "endpointslices.discovery.k8s.io is not served by the API server (not installed?); skipped",
    ]);
    const stats = mirror.stats();
    assert.equal(stats["endpointslices.discovery.k8s.io"].served, false);
    assert.equal(stats.pods.served, true);
    assert.equal(stats.pods.lists, 1);
  });

  test("a watch resumed from an expired resourceVersion (410 Gone) relists and emits what changed meanwhile", async () => {
    // The sandbox keeps the last 5,000 events per type and answers 410 to a watch from before them,
    // as a real API server does once a version leaves its watch cache (sandbox/api/watch.ts).
    const { store, faults } = sandbox;
    store.create(R.configmaps, "expiry", { metadata: { name: "kept" } });
    store.create(R.configmaps, "expiry", { metadata: { name: "churned" }, data: { n: "0" } });
    store.create(R.configmaps, "expiry", { metadata: { name: "doomed" } });
    const blind = mirrorCluster({
      kubeconfigPath: sandbox.kubeconfigPath,
      resources: [R.configmaps],
      namespace: "expiry",
      watchTimeoutSeconds: 1, // the server ends each watch after 1 s; the mirror resumes from its last version
      log: () => {},
    });
    try {
      await blind.synced;
      store.create(R.configmaps, "expiry", { metadata: { name: "watched" } });
      await eventually("the mirror's watch to be live", () => blind.store.get(R.configmaps, "expiry", "watched"));
      const events = recordEvents(blind.store, R.configmaps, "expiry");
      // Refuse the mirror's watches (503) once its current one ends: it keeps retrying from its last version.
      faults.set([
        {
          name: "blind",
          verbs: ["watch"],
          path: "/namespaces/expiry/configmaps$",
          action: { type: "error", code: 503 },
        },
      ]);
      await eventually("a refused watch", () => faults.count("blind") >= 1, 10_000);
      for (let i = 1; i <= 5001; i++) store.mutate(R.configmaps, "expiry", "churned", (o) => (dataOf(o).n = String(i)));
      store.delete(R.configmaps, "expiry", "doomed");
      store.create(R.configmaps, "expiry", { metadata: { name: "born" } });
      const expiredBefore = blind.stats().configmaps.expired;
      faults.clear();
      await eventually("a 410 and a relist", () => blind.stats().configmaps.expired > expiredBefore, 10_000);
      await blind.caughtUp();
      assert.deepEqual(blind.store.list(R.configmaps, "expiry"), asServed(store.list(R.configmaps, "expiry")));
      // One event per change the relist found; none for the object that did not change.
      const seen = events.events.map((e) => `${e.type} ${e.object.metadata.name}`).sort();
      assert.deepEqual(seen, ["ADDED born", "DELETED doomed", "MODIFIED churned"]);
      const churned = events.events.find((e) => e.object.metadata.name === "churned")?.object;
      assert.equal(churned && dataOf(churned).n, "5001");
      assert.equal(blind.stats().configmaps.lists, 2, "the first list and one relist");
      events.stop();
    } finally {
      faults.clear();
      await blind.stop();
    }
  });
});

describe("the front door on a mirrored store", () => {
  let sandbox: Sandbox;

  function aDeployment(track: string, version: string, replicas: number): KubeObject {
    const labels = { app: "web", track };
    const container = {
      name: "app",
      image: `sandbox.local/demo-app:${version}`,
      ports: [{ containerPort: 8080, name: "http" }],
      readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 },
    };
    return {
      metadata: { name: `web-${track}` },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [container] } },
      },
    };
  }

  before(async () => {
    sandbox = await startSandbox({});
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
  });

  after(async () => {
    await sandbox?.stop();
  });

  test("startClusterTraffic routes by the mirrored canary weight to the sandbox's real pods", async () => {
    const logs: string[] = [];
    const traffic = await startClusterTraffic({
      kubeconfigPath: sandbox.kubeconfigPath,
      rng: seededRng(7),
      log: (message) => logs.push(message),
    });
    try {
      const readyIn = (store: Store) => store.list(R.pods, "default", "app=web").filter(isPodReady);
      await eventually("3 ready pods in the mirror", () => readyIn(traffic.store).length === 3, 30_000);
      const result = await sendLoad({ url: traffic.frontDoorUrl, host: "shop.test", count: 1000, concurrency: 8 });
      assert.deepEqual(result.statuses, { 200: 1000 });
      const canary = sharePercent(result, "v2");
      assert.ok(Math.abs(canary - 25) <= 4, `canary share ${canary.toFixed(1)} %`);
      const pods = readyIn(sandbox.store).map((p) => `default/${p.metadata.name}`);
      assert.deepEqual(Object.keys(result.pods).sort(), pods.sort(), "every ready pod served, named as in the sandbox");
      // A weight written to the API reaches the mirrored front door through the watch.
      sandbox.store.mutate(R.ingresses, "default", "web-canary", (o) => {
        o.metadata.annotations!["nginx.ingress.kubernetes.io/canary-weight"] = "0";
      });
      await traffic.mirror.caughtUp();
      const after = await sendLoad({ url: traffic.frontDoorUrl, host: "shop.test", count: 100, concurrency: 8 });
      assert.deepEqual(after.versions, { v1: 100 });
      const pinned = await sendLoad({
        url: traffic.frontDoorUrl,
        host: "shop.test",
        count: 20,
        headers: { "x-canary": "always" },
      });
      assert.deepEqual(pinned.versions, { v2: 20 }, "the header still pins the canary at weight 0");
      assert.equal(traffic.stats().statuses["200"], 1120);
      assert.deepEqual(logs, [
        "endpointslices.discovery.k8s.io is not served by the API server (not installed?); skipped",
      ]);
    } finally {
      await traffic.stop();
    }
  });
});

describe("the front door and EndpointSlice addresses", () => {
  /** A stand-in pod process on its own loopback address, all on one port, as pods on their own IPs are. */
  async function podServers(hosts: string[]) {
    for (let attempt = 0; ; attempt++) {
      const servers: { host: string; server: http.Server; served: number }[] = [];
      let port = 0;
      try {
        for (const host of hosts) {
          const entry = { host, served: 0, server: undefined as unknown as http.Server };
          entry.server = http.createServer((_req, res) => {
            entry.served++;
            res.writeHead(200, { "x-version": host }).end(host);
          });
          await new Promise<void>((resolve, reject) => {
            entry.server.once("error", reject);
            entry.server.listen(port, host, () => resolve());
          });
          servers.push(entry);
          port = (entry.server.address() as AddressInfo).port;
        }
        return { port, servers };
      } catch (error) {
        for (const s of servers) s.server.close();
        if (attempt === 5) throw error;
      }
    }
  }

  test("requests go to the ready addresses of the Service's slices, at the slice's port", async () => {
    const { port, servers } = await podServers(["127.0.0.2", "127.0.0.3", "127.0.0.4"]);
    const store = new Store();
    store.create(R.services, "default", {
      metadata: { name: "web" },
      spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: "http" }] },
    });
    const slice = {
      metadata: { name: "web-x1", labels: { [SERVICE_NAME_LABEL]: "web" } },
      addressType: "IPv4",
      ports: [{ name: "http", port, protocol: "TCP" }],
      endpoints: ["127.0.0.2", "127.0.0.3", "127.0.0.4"].map((ip, i) => ({
        addresses: [ip],
        conditions: { ready: i < 2 },
        targetRef: { kind: "Pod", namespace: "default", name: `web-${i}` },
      })),
    };
    store.create(R.endpointslices, "default", slice);
    store.create(R.ingresses, "default", anIngress("web", { host: "shop.test", service: "web" }));
    const traffic = await startTraffic(store, {});
    try {
      const result = await sendLoad({ url: traffic.url, host: "shop.test", count: 200, concurrency: 4 });
      assert.deepEqual(result.statuses, { 200: 200 });
      assert.deepEqual(result.versions, { "127.0.0.2": 100, "127.0.0.3": 100 }, "round robin over the ready two");
      assert.deepEqual(Object.keys(result.pods).sort(), ["default/web-0", "default/web-1"]);
      assert.equal(servers[2].served, 0, "the endpoint that is not ready gets nothing");
      store.mutate(
        R.endpointslices,
        "default",
        "web-x1",
        (s) => ((s.endpoints as { conditions: { ready: boolean } }[])[0].conditions.ready = false),
      );
      const after = await sendLoad({ url: traffic.url, host: "shop.test", count: 20, concurrency: 4 });
      assert.deepEqual(after.versions, { "127.0.0.3": 20 });
    } finally {
      await traffic.stop();
      for (const s of servers) {
        s.server.closeAllConnections();
        s.server.close();
      }
    }
  });
});
