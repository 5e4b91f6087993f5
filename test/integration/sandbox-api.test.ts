// The sandbox API over real HTTP: discovery, CRUD with Status errors, selectors,
// subresources, patch flavours, watch semantics and the pod/service proxy (to a
// real HTTP server standing in for a pod's process).
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { HOST_PORTS_ANNOTATION } from "../../sandbox/endpoints.ts";
import { type Sandbox, startSandbox } from "../../sandbox/index.ts";
import { R } from "../../sandbox/resources.ts";

let sandbox: Sandbox;

async function call(method: string, path: string, body?: unknown, contentType = "application/json") {
  const response = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { "Content-Type": contentType, Authorization: `Bearer ${sandbox.token}` },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await response.text();
  // biome-ignore lint/suspicious/noExplicitAny: API answers are unstructured
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, body: json, headers: response.headers };
}

const configMap = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, labels },
  data: { a: "1" },
});

/** Reads NDJSON watch events until `count` arrived or the deadline passed. */
async function watchEvents(path: string, count: number, timeoutMs = 3000, whileWatching?: () => Promise<void>) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const response = await fetch(`${sandbox.url}${path}`, { signal: controller.signal });
  // biome-ignore lint/suspicious/noExplicitAny: watch events are unstructured
  const events: any[] = [];
  const pending = whileWatching?.();
  try {
    let buffer = "";
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        events.push(JSON.parse(buffer.slice(0, newline)));
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf("\n");
      }
      if (events.length >= count) break;
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  await pending;
  return events;
}

before(async () => {
  sandbox = await startSandbox({ workloads: false, traffic: false, namespaces: ["other"] });
});
after(() => sandbox.stop());

describe("discovery", () => {
  it("serves version, core and group documents", async () => {
    assert.equal((await call("GET", "/version")).body.major, "1");
    assert.deepEqual((await call("GET", "/api")).body.versions, ["v1"]);
    const groups = (await call("GET", "/apis")).body.groups.map((g: { name: string }) => g.name);
    for (const group of [
      "apps",
      "networking.k8s.io",
      "coordination.k8s.io",
      "networking.istio.io",
      "gateway.networking.k8s.io",
    ]) {
      assert.ok(groups.includes(group), group);
    }
    const apps = (await call("GET", "/apis/apps/v1")).body;
    const names = apps.resources.map((r: { name: string }) => r.name);
    assert.ok(
      names.includes("deployments") && names.includes("deployments/scale") && names.includes("deployments/status"),
    );
    const core = (await call("GET", "/api/v1")).body.resources;
    assert.equal(core.find((r: { name: string }) => r.name === "namespaces").namespaced, false);
  });

  it("answers unknown paths and resources with a NotFound Status", async () => {
    const { status, body } = await call("GET", "/apis/nope.example.com/v1/namespaces/default/things");
    assert.equal(status, 404);
    assert.equal(body.kind, "Status");
    assert.equal(body.reason, "NotFound");
  });

  it("refuses a wrong bearer token", async () => {
    const response = await fetch(`${sandbox.url}/api/v1/pods`, { headers: { Authorization: "Bearer wrong" } });
    assert.equal(response.status, 401);
    assert.equal((await response.json()).reason, "Unauthorized");
  });
});

describe("CRUD", () => {
  it("creates, gets, replaces and deletes with Kubernetes status codes", async () => {
    const created = await call("POST", "/api/v1/namespaces/default/configmaps", configMap("crud"));
    assert.equal(created.status, 201);
    assert.equal(created.body.metadata.namespace, "default");
    assert.ok(created.body.metadata.uid && created.body.metadata.resourceVersion);

    const again = await call("POST", "/api/v1/namespaces/default/configmaps", configMap("crud"));
    assert.equal(again.status, 409);
    assert.equal(again.body.reason, "AlreadyExists");

    const replaced = await call("PUT", "/api/v1/namespaces/default/configmaps/crud", {
      ...created.body,
      data: { a: "2" },
    });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.data.a, "2");

    const stale = await call("PUT", "/api/v1/namespaces/default/configmaps/crud", {
      ...created.body,
      data: { a: "3" },
    });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.reason, "Conflict");

    const deleted = await call("DELETE", "/api/v1/namespaces/default/configmaps/crud");
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.status, "Success");
    const gone = await call("GET", "/api/v1/namespaces/default/configmaps/crud");
    assert.equal(gone.status, 404);
    assert.equal(gone.body.message, 'configmaps "crud" not found');
  });

  it("refuses bad input with BadRequest, Invalid and MethodNotAllowed", async () => {
    assert.equal((await call("POST", "/api/v1/namespaces/default/configmaps", "{not json")).body.reason, "BadRequest");
    assert.equal(
      (await call("POST", "/api/v1/namespaces/default/configmaps", { metadata: {} })).body.reason,
      "Invalid",
    );
    const wrongKind = await call("POST", "/api/v1/namespaces/default/configmaps", {
      ...configMap("x"),
      kind: "Secret",
    });
    assert.equal(wrongKind.status, 400);
    const method = await call("POST", "/api/v1/namespaces/default/configmaps/x");
    assert.equal(method.status, 405);
    assert.equal(method.body.reason, "MethodNotAllowed");
  });

  it("refuses objects in a namespace that does not exist", async () => {
    const { status, body } = await call("POST", "/api/v1/namespaces/missing/configmaps", configMap("x"));
    assert.equal(status, 404);
    assert.equal(body.message, 'namespaces "missing" not found');
  });

  it("lists by label and field selector, per namespace and cluster-wide", async () => {
    await call("POST", "/api/v1/namespaces/default/configmaps", configMap("sel-a", { app: "web", track: "stable" }));
    await call("POST", "/api/v1/namespaces/default/configmaps", configMap("sel-b", { app: "web", track: "canary" }));
    await call("POST", "/api/v1/namespaces/other/configmaps", configMap("sel-c", { app: "web" }));
    const names = async (path: string) =>
      (await call("GET", path)).body.items.map((i: { metadata: { name: string } }) => i.metadata.name);
    assert.deepEqual(await names("/api/v1/namespaces/default/configmaps?labelSelector=app%3Dweb"), ["sel-a", "sel-b"]);
    assert.deepEqual(await names("/api/v1/namespaces/default/configmaps?labelSelector=track%20in%20(canary)"), [
      "sel-b",
    ]);
    assert.deepEqual(await names("/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dsel-a"), [
      "sel-a",
    ]);
    assert.deepEqual(await names("/api/v1/configmaps?labelSelector=app%3Dweb"), ["sel-a", "sel-b", "sel-c"]);
    const list = await call("GET", "/api/v1/namespaces/default/configmaps");
    assert.equal(list.body.kind, "ConfigMapList");
    assert.match(list.body.metadata.resourceVersion, /^\d+$/);
    assert.equal((await call("GET", "/api/v1/configmaps?labelSelector=a%20b%20c")).status, 400);
    const removed = await call("DELETE", "/api/v1/namespaces/default/configmaps?labelSelector=track%3Dcanary");
    assert.equal(removed.status, 200);
    assert.deepEqual(await names("/api/v1/namespaces/default/configmaps?labelSelector=app%3Dweb"), ["sel-a"]);
  });
});

const deployment = (name: string, replicas = 2) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, labels: { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: "app", image: "sandbox.local/demo-app:v1", ports: [{ containerPort: 8080 }] }] },
    },
  },
});

describe("patch and subresources", () => {
  it("applies merge, JSON and strategic patches to a Deployment and bumps generation on spec changes", async () => {
    const base = "/apis/apps/v1/namespaces/default/deployments";
    const created = await call("POST", base, deployment("patchme"));
    assert.equal(created.body.metadata.generation, 1);
    assert.equal(created.body.spec.strategy.type, "RollingUpdate", "defaults are filled in");

    const merged = await call(
      "PATCH",
      `${base}/patchme`,
      { metadata: { labels: { x: "y" } } },
      "application/merge-patch+json",
    );
    assert.equal(merged.body.metadata.labels.x, "y");
    assert.equal(merged.body.metadata.generation, 1, "metadata changes keep the generation");

    const strategic = await call(
      "PATCH",
      `${base}/patchme`,
      { spec: { template: { spec: { containers: [{ name: "sidecar", image: "proxy:v1" }] } } } },
      "application/strategic-merge-patch+json",
    );
    assert.deepEqual(
      strategic.body.spec.template.spec.containers.map((c: { name: string }) => c.name),
      ["app", "sidecar"],
    );
    assert.equal(strategic.body.metadata.generation, 2);

    const json = await call(
      "PATCH",
      `${base}/patchme`,
      [{ op: "replace", path: "/spec/replicas", value: 5 }],
      "application/json-patch+json",
    );
    assert.equal(json.body.spec.replicas, 5);
    const failedTest = await call(
      "PATCH",
      `${base}/patchme`,
      [{ op: "test", path: "/spec/replicas", value: 1 }],
      "application/json-patch+json",
    );
    assert.equal(failedTest.status, 422);

    const stale = await call(
      "PATCH",
      `${base}/patchme`,
      { metadata: { resourceVersion: "1" }, spec: { replicas: 1 } },
      "application/merge-patch+json",
    );
    assert.equal(stale.status, 409, "a resourceVersion in a patch is a precondition");

    const unknown = await call("PATCH", `${base}/patchme`, { spec: {} }, "text/plain");
    assert.equal(unknown.status, 415);
    assert.equal((await call("PATCH", `${base}/absent`, {}, "application/merge-patch+json")).status, 404);
  });

  it("answers 415 to a strategic merge patch of a custom resource, and merges other patches", async () => {
    const base = "/apis/networking.istio.io/v1/namespaces/default/virtualservices";
    const vs = {
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "vs" },
      spec: { hosts: ["web"] },
    };
    assert.equal((await call("POST", base, vs)).status, 201);
    const strategic = await call(
      "PATCH",
      `${base}/vs`,
      { spec: { hosts: ["x"] } },
      "application/strategic-merge-patch+json",
    );
    assert.equal(strategic.status, 415);
    assert.equal(strategic.body.reason, "UnsupportedMediaType");
    const merged = await call("PATCH", `${base}/vs`, { spec: { gateways: ["gw"] } }, "application/merge-patch+json");
    assert.deepEqual(merged.body.spec, { hosts: ["web"], gateways: ["gw"] });
  });

  it("server-side apply creates, then merges", async () => {
    const path = "/api/v1/namespaces/default/configmaps/applied?fieldManager=test";
    const yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  a: '1'\n";
    assert.equal((await call("PATCH", path, yaml, "application/apply-patch+yaml")).status, 201);
    const second = await call("PATCH", path, yaml.replace("a: '1'", "b: '2'"), "application/apply-patch+yaml");
    assert.deepEqual(second.body.data, { a: "1", b: "2" });
    const noManager = await call(
      "PATCH",
      "/api/v1/namespaces/default/configmaps/applied",
      yaml,
      "application/apply-patch+yaml",
    );
    assert.equal(noManager.status, 400);
  });

  it("serves /status without touching spec, and /scale as autoscaling/v1 Scale", async () => {
    const base = "/apis/apps/v1/namespaces/default/deployments";
    await call("POST", base, deployment("scaled"));
    const status = await call(
      "PATCH",
      `${base}/scaled/status`,
      { status: { readyReplicas: 2 }, spec: { replicas: 9 } },
      "application/merge-patch+json",
    );
    assert.equal(status.body.status.readyReplicas, 2);
    assert.equal(status.body.spec.replicas, 2);
    const ignored = await call(
      "PATCH",
      `${base}/scaled`,
      { status: { readyReplicas: 7 } },
      "application/merge-patch+json",
    );
    assert.equal(ignored.body.status.readyReplicas, 2, "the main resource ignores status changes");

    const scale = await call("GET", `${base}/scaled/scale`);
    assert.equal(scale.body.kind, "Scale");
    assert.equal(scale.body.apiVersion, "autoscaling/v1");
    assert.equal(scale.body.spec.replicas, 2);
    assert.equal(scale.body.status.selector, "app=scaled");
    const patched = await call(
      "PATCH",
      `${base}/scaled/scale`,
      { spec: { replicas: 4 } },
      "application/merge-patch+json",
    );
    assert.equal(patched.body.spec.replicas, 4);
    const put = await call("PUT", `${base}/scaled/scale`, { ...patched.body, spec: { replicas: 1 } });
    assert.equal(put.body.spec.replicas, 1);
    const stalePut = await call("PUT", `${base}/scaled/scale`, { ...patched.body, spec: { replicas: 3 } });
    assert.equal(stalePut.status, 409);
    assert.equal((await call("GET", `${base}/scaled`)).body.spec.replicas, 1);
    const negative = await call(
      "PATCH",
      `${base}/scaled/scale`,
      { spec: { replicas: -1 } },
      "application/merge-patch+json",
    );
    assert.equal(negative.status, 422);
  });

  it("deletes what a Deployment owns unless asked to orphan", async () => {
    const owner = (await call("POST", "/apis/apps/v1/namespaces/default/deployments", deployment("owner"))).body;
    const ref = { apiVersion: "apps/v1", kind: "Deployment", name: "owner", uid: owner.metadata.uid, controller: true };
    const rs = sandbox.store.create(R.replicasets, "default", {
      metadata: { name: "owner-1", ownerReferences: [ref] },
      spec: {},
    });
    const rsRef = { apiVersion: "apps/v1", kind: "ReplicaSet", name: "owner-1", uid: rs.metadata.uid as string };
    sandbox.store.create(R.pods, "default", {
      metadata: { name: "owner-1-a", ownerReferences: [rsRef] },
      spec: { containers: [] },
    });
    await call("DELETE", "/apis/apps/v1/namespaces/default/deployments/owner");
    assert.equal(sandbox.store.get(R.replicasets, "default", "owner-1"), undefined);
    assert.equal(sandbox.store.get(R.pods, "default", "owner-1-a"), undefined);
  });
});

describe("watch", () => {
  it("sends ADDED for existing objects, then changes as they happen", async () => {
    await call("POST", "/api/v1/namespaces/default/configmaps", configMap("w-existing", { w: "1" }));
    const events = await watchEvents(
      "/api/v1/namespaces/default/configmaps?watch=1&labelSelector=w%3D1",
      3,
      3000,
      async () => {
        await call("POST", "/api/v1/namespaces/default/configmaps", configMap("w-new", { w: "1" }));
        await call("POST", "/api/v1/namespaces/default/configmaps", configMap("w-other", { w: "2" }));
        await call("DELETE", "/api/v1/namespaces/default/configmaps/w-new");
      },
    );
    assert.deepEqual(
      events.map((e) => `${e.type} ${e.object.metadata.name}`),
      ["ADDED w-existing", "ADDED w-new", "DELETED w-new"],
    );
  });

  it("replays what changed after a listed resourceVersion (list-then-watch)", async () => {
    const list = await call("GET", "/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dw-replay");
    await call("POST", "/api/v1/namespaces/default/configmaps", configMap("w-replay"));
    await call(
      "PATCH",
      "/api/v1/namespaces/default/configmaps/w-replay",
      { data: { b: "2" } },
      "application/merge-patch+json",
    );
    const rv = list.body.metadata.resourceVersion;
    const events = await watchEvents(
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dw-replay`,
      2,
    );
    assert.deepEqual(
      events.map((e) => e.type),
      ["ADDED", "MODIFIED"],
    );
  });

  it("ends the stream after timeoutSeconds and marks the end of initial events when asked", async () => {
    const started = Date.now();
    const events = await watchEvents(
      "/api/v1/namespaces/other/configmaps?watch=1&timeoutSeconds=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true",
      99,
      4000,
    );
    assert.ok(Date.now() - started < 3000, "closed by the server after about a second");
    const last = events[events.length - 1];
    assert.equal(last.type, "BOOKMARK");
    assert.equal(last.object.metadata.annotations["k8s.io/initial-events-end"], "true");
    assert.equal(events[0].type, "ADDED");
  });
});

describe("proxy", () => {
  let backend: Server;
  let backendPort: number;
  before(async () => {
    // A real HTTP server plays the pod's process; the pod runtime would start one and write the same annotation.
    backend = createServer((req, res) => res.end(`${req.method} ${req.url}`));
    await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
    backendPort = (backend.address() as AddressInfo).port;
    const labels = { app: "proxied" };
    sandbox.store.create(R.pods, "default", {
      metadata: {
        name: "proxied",
        labels,
        annotations: { [HOST_PORTS_ANNOTATION]: JSON.stringify({ 8080: backendPort }) },
      },
      spec: { containers: [{ name: "app", ports: [{ containerPort: 8080, name: "http" }] }] },
      status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
    });
    sandbox.store.create(R.pods, "default", { metadata: { name: "pending" }, spec: { containers: [{ name: "app" }] } });
    sandbox.store.create(R.services, "default", {
      metadata: { name: "proxied" },
      spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
    });
    sandbox.store.create(R.services, "default", {
      metadata: { name: "empty" },
      spec: { selector: { app: "none" }, ports: [{ port: 80 }] },
    });
  });
  after(() => new Promise<void>((resolve) => backend.close(() => resolve())));

  it("forwards any method, path and query to the pod's process", async () => {
    const get = await call("GET", "/api/v1/namespaces/default/pods/proxied:8080/proxy/healthz?x=1");
    assert.equal(get.body, "GET /healthz?x=1");
    const post = await call("POST", "/api/v1/namespaces/default/pods/proxied/proxy/a/b/", "data");
    assert.equal(post.body, "POST /a/b/");
    const named = await call("GET", "/api/v1/namespaces/default/pods/proxied:http/proxy/");
    assert.equal(named.body, "GET /");
  });

  it("forwards through a Service to a ready endpoint", async () => {
    assert.equal((await call("GET", "/api/v1/namespaces/default/services/proxied:80/proxy/v")).body, "GET /v");
    assert.equal((await call("GET", "/api/v1/namespaces/default/services/http:proxied:80/proxy/v")).body, "GET /v");
  });

  it("answers 503 when nothing serves the pod or Service, 404 when it does not exist", async () => {
    const pending = await call("GET", "/api/v1/namespaces/default/pods/pending:8080/proxy/");
    assert.equal(pending.status, 503);
    assert.equal(pending.body.reason, "ServiceUnavailable");
    assert.equal((await call("GET", "/api/v1/namespaces/default/services/empty/proxy/")).status, 503);
    assert.equal((await call("GET", "/api/v1/namespaces/default/pods/absent/proxy/")).status, 404);
  });
});
