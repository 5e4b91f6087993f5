// What makes a release (decision 031), the pure parts: which ConfigMaps and
// Secrets a pod template refers to, and which of its fields changed.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1PodTemplateSpec } from "@kubernetes/client-node";
import { referencedObjects } from "../../src/rollout/config-refs.ts";
import { releaseChanges, templateChanges } from "../../src/rollout/release-changes.ts";

const template = (containers: object[], volumes: object[] = [], initContainers: object[] = []): V1PodTemplateSpec =>
  ({ metadata: { labels: { app: "web" } }, spec: { containers, volumes, initContainers } }) as V1PodTemplateSpec;

test("every way a template refers to a ConfigMap or Secret is found, once each; one required reference makes it required", () => {
  const refs = referencedObjects(
    template(
      [
        {
          name: "web",
          envFrom: [{ configMapRef: { name: "web-config" } }, { secretRef: { name: "web-env", optional: true } }],
          env: [
            { name: "TOKEN", valueFrom: { secretKeyRef: { name: "api", key: "token" } } },
            { name: "FLAGS", valueFrom: { configMapKeyRef: { name: "flags", key: "f", optional: true } } },
          ],
        },
      ],
      [
        { name: "conf", configMap: { name: "web-config", optional: true } },
        { name: "tls", secret: { secretName: "web-tls" } },
        { name: "all", projected: { sources: [{ configMap: { name: "extra" } }, { secret: { name: "api" } }] } },
      ],
      [{ name: "migrate", envFrom: [{ configMapRef: { name: "db", optional: true } }] }],
    ),
  );
  assert.deepEqual(
    refs.map((r) => `${r.kind}/${r.name}${r.optional ? "?" : ""}`),
    [
      "ConfigMap/db?",
      "ConfigMap/extra",
      "ConfigMap/flags?",
      "ConfigMap/web-config",
      "Secret/api",
      "Secret/web-env?",
      "Secret/web-tls",
    ],
  );
  assert.equal(refs.find((r) => r.name === "db")?.from, "initContainers[migrate].envFrom");
});

test("changed fields read as paths: env by name, other container fields whole, pod fields, labels; the image and digest apart", () => {
  const before = template([
    {
      name: "web",
      image: "web:1",
      env: [
        { name: "LOG_LEVEL", value: "info" },
        { name: "A", value: "1" },
      ],
    },
    { name: "sidecar", image: "proxy:1" },
  ]);
  const after = structuredClone(before);
  after.metadata!.labels!.team = "shop";
  after.metadata!.annotations = { "grayctl.dev/config-hash": "abc" };
  const [web, sidecar] = after.spec!.containers;
  web.image = "web:2";
  web.env![0].value = "debug";
  web.resources = { requests: { memory: "64Mi" } };
  sidecar.image = "proxy:2";
  after.spec!.volumes = [{ name: "tmp", emptyDir: {} }];
  assert.deepEqual(templateChanges(before, after, "web"), [
    "metadata.labels.team",
    "spec.containers[web].env.LOG_LEVEL",
    "spec.containers[web].resources",
    "spec.containers[sidecar].image",
    "spec.volumes",
  ]);
  assert.deepEqual(templateChanges(before, structuredClone(before), "web"), []);
});

test("objects whose keyed digest changed, appeared or went are named; an older record without digests names all when the template's digest moved", () => {
  const tpl = template([{ name: "web" }]);
  const config = { hash: "new", objects: { "ConfigMap/a": "1", "ConfigMap/b": "2", "Secret/c": "3" } };
  const input = { app: "web", stableImage: "web:1", image: "web:1", previousTemplate: tpl, template: tpl, config };
  assert.deepEqual(
    releaseChanges({ ...input, previousDigests: { "ConfigMap/a": "1", "ConfigMap/b": "x", "Secret/d": "4" } }),
    {
      objects: ["ConfigMap/b", "Secret/c", "Secret/d"],
    },
  );
  assert.deepEqual(releaseChanges(input), { objects: ["ConfigMap/a", "ConfigMap/b", "Secret/c"] });
  assert.deepEqual(releaseChanges({ ...input, image: "web:2", previousDigests: config.objects }), {
    image: { from: "web:1", to: "web:2" },
  });
});
