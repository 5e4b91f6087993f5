import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jsonPatch, mergePatch } from "../../sandbox/api/patch.ts";
import { strategicMerge } from "../../sandbox/api/strategic.ts";

const deployment = () => ({
  metadata: { name: "web", labels: { app: "web", tier: "front" } },
  spec: {
    replicas: 2,
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
    template: {
      spec: {
        containers: [
          {
            name: "app",
            image: "demo:v1",
            ports: [{ containerPort: 8080, name: "http" }],
            env: [{ name: "A", value: "1" }],
          },
          { name: "sidecar", image: "proxy:v1" },
        ],
        volumes: [{ name: "data", emptyDir: {} }],
      },
    },
  },
});

describe("JSON merge patch (RFC 7386)", () => {
  it("merges objects, replaces lists and deletes on null", () => {
    const result = mergePatch(deployment(), {
      metadata: { labels: { tier: null, track: "canary" } },
      spec: { replicas: 3, template: { spec: { containers: [{ name: "only" }] } } },
    }) as ReturnType<typeof deployment>;
    assert.deepEqual(result.metadata.labels, { app: "web", track: "canary" });
    assert.equal(result.spec.replicas, 3);
    assert.deepEqual(result.spec.template.spec.containers, [{ name: "only" }]);
  });

  it("replaces the whole document when the patch is not an object", () => {
    assert.deepEqual(mergePatch({ a: 1 }, [1, 2]), [1, 2]);
  });
});

describe("JSON patch (RFC 6902)", () => {
  it("applies add, replace, remove, move, copy and test in order", () => {
    const result = jsonPatch(deployment(), [
      { op: "test", path: "/spec/replicas", value: 2 },
      { op: "replace", path: "/spec/replicas", value: 5 },
      { op: "add", path: "/metadata/labels/track", value: "stable" },
      { op: "remove", path: "/metadata/labels/tier" },
      { op: "add", path: "/spec/template/spec/containers/-", value: { name: "third" } },
      { op: "copy", from: "/metadata/labels/app", path: "/metadata/labels/copied" },
      { op: "move", from: "/metadata/labels/copied", path: "/metadata/labels/moved" },
      { op: "add", path: "/metadata/annotations", value: { "a~b/c": "x" } },
      { op: "replace", path: "/metadata/annotations/a~0b~1c", value: "escaped" },
    ]) as ReturnType<typeof deployment> & { metadata: { annotations: Record<string, string> } };
    assert.equal(result.spec.replicas, 5);
    assert.deepEqual(result.metadata.labels, { app: "web", track: "stable", moved: "web" });
    assert.deepEqual(
      result.spec.template.spec.containers.map((c) => c.name),
      ["app", "sidecar", "third"],
    );
    assert.deepEqual(result.metadata.annotations, { "a~b/c": "escaped" });
  });

  it("fails a test op with a 422 Invalid and leaves the input untouched", () => {
    const input = deployment();
    assert.throws(
      () =>
        jsonPatch(input, [
          { op: "replace", path: "/spec/replicas", value: 9 },
          { op: "test", path: "/spec/replicas", value: 1 },
        ]),
      (error: { code: number; reason: string }) => error.code === 422 && error.reason === "Invalid",
    );
    assert.equal(input.spec.replicas, 2);
  });

  it("rejects a missing path and a non-array patch", () => {
    assert.throws(() => jsonPatch({}, [{ op: "remove", path: "/nope" }]), /missing path/);
    assert.throws(() => jsonPatch({}, { op: "add" }), /must be an array/);
  });
});

describe("strategic merge patch", () => {
  it("merges containers by name and their ports by containerPort", () => {
    const result = strategicMerge(deployment(), {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: "app",
                image: "demo:v2",
                ports: [{ containerPort: 9090, name: "metrics" }],
                env: [{ name: "B", value: "2" }],
              },
            ],
          },
        },
      },
    }) as ReturnType<typeof deployment>;
    const [app, sidecar] = result.spec.template.spec.containers;
    assert.equal(app.image, "demo:v2");
    assert.deepEqual(
      app.ports?.map((p) => p.containerPort),
      [8080, 9090],
    );
    assert.deepEqual(
      app.env?.map((e) => e.name),
      ["A", "B"],
    );
    assert.deepEqual(sidecar, { name: "sidecar", image: "proxy:v1" });
  });

  it("deletes list elements with $patch: delete and keys with null", () => {
    const result = strategicMerge(deployment(), {
      metadata: { labels: { tier: null } },
      spec: {
        template: {
          spec: { containers: [{ name: "sidecar", $patch: "delete" }], volumes: [{ name: "data", $patch: "delete" }] },
        },
      },
    }) as ReturnType<typeof deployment>;
    assert.deepEqual(result.metadata.labels, { app: "web" });
    assert.deepEqual(
      result.spec.template.spec.containers.map((c) => c.name),
      ["app"],
    );
    assert.deepEqual(result.spec.template.spec.volumes, []);
  });

  it("replaces a map or a list with $patch: replace", () => {
    const result = strategicMerge(deployment(), {
      metadata: { labels: { only: "this", $patch: "replace" } },
      spec: { template: { spec: { containers: [{ $patch: "replace" }, { name: "solo", image: "x" }] } } },
    }) as ReturnType<typeof deployment>;
    assert.deepEqual(result.metadata.labels, { only: "this" });
    assert.deepEqual(result.spec.template.spec.containers, [{ name: "solo", image: "x" }]);
  });

  it("honours kubectl apply's $retainKeys and $setElementOrder directives", () => {
    const result = strategicMerge(deployment(), {
      spec: {
        strategy: { $retainKeys: ["type"], type: "Recreate", rollingUpdate: null },
        template: {
          spec: {
            "$setElementOrder/containers": [{ name: "sidecar" }, { name: "app" }],
            containers: [{ name: "app", image: "demo:v3" }],
          },
        },
      },
    }) as ReturnType<typeof deployment>;
    assert.deepEqual(result.spec.strategy, { type: "Recreate" });
    assert.deepEqual(
      result.spec.template.spec.containers.map((c) => `${c.name}=${c.image}`),
      ["sidecar=proxy:v1", "app=demo:v3"],
    );
  });

  it("replaces lists without a merge key and merges finalizers as a set", () => {
    const result = strategicMerge(
      { metadata: { finalizers: ["a"] }, spec: { args: ["x", "y"] } },
      { metadata: { finalizers: ["b", "a"] }, spec: { args: ["z"] } },
    ) as { metadata: { finalizers: string[] }; spec: { args: string[] } };
    assert.deepEqual(result.metadata.finalizers, ["a", "b"]);
    assert.deepEqual(result.spec.args, ["z"]);
  });
});
