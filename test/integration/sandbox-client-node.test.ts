// The real @kubernetes/client-node (v2) against the sandbox: typed CRUD, patches
// (the content type must be set explicitly in v1+/v2), ApiException bodies,
// KubernetesObjectApi on custom resources, and Watch.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  ApiException,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  NetworkingV1Api,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from "@kubernetes/client-node";
import { type Sandbox, startSandbox } from "../../sandbox/index.ts";

let sandbox: Sandbox;
let kc: KubeConfig;

before(async () => {
  sandbox = await startSandbox({ workloads: false, traffic: false });
  kc = new KubeConfig();
  kc.loadFromFile(sandbox.kubeconfigPath);
});
after(() => sandbox.stop());

/** The Status body of an ApiException (client-node gives it as a JSON string). */
async function statusOf(promise: Promise<unknown>): Promise<{ code: number; reason: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ApiException, `expected an ApiException, got ${error}`);
    const body = typeof error.body === "string" ? JSON.parse(error.body) : error.body;
    assert.equal(body.kind, "Status");
    assert.equal(body.code, error.code);
    return body;
  }
  assert.fail("expected the call to fail");
}

type CustomObject = KubernetesObject & { spec?: unknown };

const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

describe("client-node typed APIs", () => {
  it("does CRUD on ConfigMaps with CoreV1Api and maps 404/409 to ApiException", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const namespace = "default";
    const created = await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: "cfg", labels: { app: "x" } }, data: { a: "1" } },
    });
    assert.equal(created.metadata?.name, "cfg");
    const listed = await core.listNamespacedConfigMap({ namespace, labelSelector: "app=x" });
    assert.deepEqual(
      listed.items.map((i) => i.metadata?.name),
      ["cfg"],
    );
    const patched = await core.patchNamespacedConfigMap({ name: "cfg", namespace, body: { data: { b: "2" } } }, merge);
    assert.deepEqual(patched.data, { a: "1", b: "2" });

    const conflict = await statusOf(
      core.replaceNamespacedConfigMap({ name: "cfg", namespace, body: { ...created, data: {} } }),
    );
    assert.equal(conflict.code, 409);
    assert.equal(conflict.reason, "Conflict");
    const exists = await statusOf(core.createNamespacedConfigMap({ namespace, body: { metadata: { name: "cfg" } } }));
    assert.equal(exists.reason, "AlreadyExists");

    await core.deleteNamespacedConfigMap({ name: "cfg", namespace });
    const missing = await statusOf(core.readNamespacedConfigMap({ name: "cfg", namespace }));
    assert.equal(missing.code, 404);
    assert.equal(missing.reason, "NotFound");
  });

  it("creates, reads, merge-patches and scales a Deployment with AppsV1Api", async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const labels = { app: "api" };
    await apps.createNamespacedDeployment({
      namespace: "default",
      body: {
        metadata: { name: "api", labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: "app", image: "sandbox.local/demo-app:v1" }] },
          },
        },
      },
    });
    const patched = await apps.patchNamespacedDeployment(
      {
        name: "api",
        namespace: "default",
        body: { spec: { template: { spec: { containers: [{ name: "app", image: "sandbox.local/demo-app:v2" }] } } } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    assert.equal(patched.spec?.template.spec?.containers[0].image, "sandbox.local/demo-app:v2");
    assert.equal(patched.metadata?.generation, 2);
    const scale = await apps.patchNamespacedDeploymentScale(
      { name: "api", namespace: "default", body: { spec: { replicas: 3 } } },
      merge,
    );
    assert.equal(scale.spec?.replicas, 3);
    const read = await apps.readNamespacedDeployment({ name: "api", namespace: "default" });
    assert.equal(read.spec?.replicas, 3);
    const status = await apps.replaceNamespacedDeploymentStatus({
      name: "api",
      namespace: "default",
      body: { ...read, status: { observedGeneration: 2, replicas: 3 } },
    });
    assert.equal(status.status?.observedGeneration, 2);
    await apps.deleteNamespacedDeployment({ name: "api", namespace: "default" });
  });

  it("handles Leases (CoordinationV1Api) and Ingresses (NetworkingV1Api)", async () => {
    const coordination = kc.makeApiClient(CoordinationV1Api);
    const lease = await coordination.createNamespacedLease({
      namespace: "default",
      body: { metadata: { name: "lock" }, spec: { holderIdentity: "a", leaseDurationSeconds: 15 } },
    });
    const taken = await coordination.replaceNamespacedLease({
      name: "lock",
      namespace: "default",
      body: { ...lease, spec: { ...lease.spec, holderIdentity: "b" } },
    });
    assert.equal(taken.spec?.holderIdentity, "b");
    const lost = await statusOf(
      coordination.replaceNamespacedLease({
        name: "lock",
        namespace: "default",
        body: { ...lease, spec: { holderIdentity: "c" } },
      }),
    );
    assert.equal(lost.code, 409, "a stale lease write loses");

    const networking = kc.makeApiClient(NetworkingV1Api);
    await networking.createNamespacedIngress({
      namespace: "default",
      body: {
        metadata: { name: "web-canary", annotations: { "nginx.ingress.kubernetes.io/canary": "true" } },
        spec: {
          rules: [
            {
              host: "web.local",
              http: {
                paths: [
                  { path: "/", pathType: "Prefix", backend: { service: { name: "web-canary", port: { number: 80 } } } },
                ],
              },
            },
          ],
        },
      },
    });
    const weighted = await networking.patchNamespacedIngress(
      {
        name: "web-canary",
        namespace: "default",
        body: { metadata: { annotations: { "nginx.ingress.kubernetes.io/canary-weight": "20" } } },
      },
      merge,
    );
    assert.equal(weighted.metadata?.annotations?.["nginx.ingress.kubernetes.io/canary-weight"], "20");
  });
});

describe("client-node KubernetesObjectApi on custom resources", () => {
  const virtualService = {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: "web", namespace: "default" },
    spec: {
      hosts: ["web"],
      http: [
        {
          route: [
            { destination: { host: "web-stable" }, weight: 100 },
            { destination: { host: "web-canary" }, weight: 0 },
          ],
        },
      ],
    },
  };
  const httpRoute = {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: "web", namespace: "default" },
    // Written with the CRD's defaults spelled out, so what is read back is what was written.
    spec: {
      parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "gw" }],
      rules: [
        {
          matches: [{ path: { type: "PathPrefix", value: "/" } }],
          backendRefs: [{ group: "", kind: "Service", name: "web-stable", port: 80, weight: 100 }],
        },
      ],
    },
  };

  it("creates, reads, merge-patches and deletes a VirtualService and an HTTPRoute", async () => {
    const objects = KubernetesObjectApi.makeApiClient(kc);
    for (const object of [virtualService, httpRoute]) {
      const created = await objects.create<CustomObject>(object);
      assert.equal(created.metadata?.uid !== undefined, true);
      const read = await objects.read<CustomObject>({
        apiVersion: object.apiVersion,
        kind: object.kind,
        metadata: { name: "web", namespace: "default" },
      });
      assert.deepEqual(read.spec, object.spec);
      const patch: CustomObject = {
        apiVersion: object.apiVersion,
        kind: object.kind,
        metadata: { name: "web", namespace: "default", labels: { weight: "20" } },
      };
      const patched = await objects.patch<CustomObject>(
        patch,
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.MergePatch,
      );
      assert.equal(patched.metadata?.labels?.weight, "20");
      assert.deepEqual(patched.spec, object.spec);
      const list = await objects.list(object.apiVersion, object.kind, "default");
      assert.equal(list.items.length, 1);
    }
    const refused = await statusOf(
      objects.patch(
        { ...virtualService, spec: { hosts: ["other"] } },
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.StrategicMergePatch,
      ),
    );
    assert.equal(refused.code, 415);
    assert.equal(refused.reason, "UnsupportedMediaType");
    for (const object of [virtualService, httpRoute]) await objects.delete(object);
    const gone = await statusOf(objects.read(virtualService));
    assert.equal(gone.code, 404);
  });
});

describe("client-node Watch", () => {
  it("receives ADDED, MODIFIED and DELETED events", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const seen: string[] = [];
    let resolveAll: () => void;
    const allSeen = new Promise<void>((resolve) => {
      resolveAll = resolve;
    });
    const watch = new Watch(kc);
    const controller = await watch.watch(
      "/api/v1/namespaces/default/configmaps",
      { labelSelector: "watched=yes" },
      (phase, object) => {
        seen.push(`${phase} ${object.metadata.name}`);
        if (phase === "DELETED") resolveAll();
      },
      () => {},
    );
    const timer = setTimeout(() => resolveAll(), 5000);
    try {
      await core.createNamespacedConfigMap({
        namespace: "default",
        body: { metadata: { name: "w", labels: { watched: "yes" } } },
      });
      await core.patchNamespacedConfigMap({ name: "w", namespace: "default", body: { data: { a: "1" } } }, merge);
      await core.deleteNamespacedConfigMap({ name: "w", namespace: "default" });
      await allSeen;
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
    assert.deepEqual(seen, ["ADDED w", "MODIFIED w", "DELETED w"]);
  });

  it("drives an informer: list, then watch from the listed resourceVersion", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "before-informer" } } });
    const informer = makeInformer(kc, "/api/v1/namespaces/default/configmaps", () =>
      core.listNamespacedConfigMap({ namespace: "default" }),
    );
    const added: string[] = [];
    let sawNew: () => void;
    const newSeen = new Promise<void>((resolve) => {
      sawNew = resolve;
    });
    informer.on("add", (obj) => {
      added.push(obj.metadata?.name ?? "");
      if (obj.metadata?.name === "after-informer") sawNew();
    });
    await informer.start();
    const timer = setTimeout(() => sawNew(), 5000);
    try {
      await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "after-informer" } } });
      await newSeen;
    } finally {
      clearTimeout(timer);
      await informer.stop();
    }
    assert.ok(added.includes("before-informer"), "listed objects are added");
    assert.ok(added.includes("after-informer"), "watched objects are added");
    assert.equal(informer.list().length >= 2, true);
  });
});
