// A release is the whole pod template (issue 19 point 8, decision 031): the
// same image with a changed env value, or a changed ConfigMap or Secret the
// template refers to, goes out through the canary and is promoted; only when
// image, template and referenced content are all unchanged is it "nothing to
// do". History names what changed; a Secret's content never reaches the
// record, the annotations or the output. On the real control plane the
// ReplicaSet controller restarts the pods; the suite reads what it left.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const SECRET_VALUE = "hunter2";
let app: SandboxApp;
let manifestDir: string;
let manifestPath: string;

/** The team's Deployment: LOG_LEVEL inline, the rest from ConfigMap tmpl-config and Secret tmpl-token. */
async function writeManifest(logLevel: string, missingVolume = false): Promise<void> {
  const mount = missingVolume ? "          volumeMounts: [{ name: extra, mountPath: /etc/extra }]\n" : "";
  const volume = missingVolume ? "      volumes: [{ name: extra, configMap: { name: tmpl-missing } }]\n" : "";
  await writeFile(
    manifestPath,
    `apiVersion: apps/v1
kind: Deployment
metadata:
  name: tmpl
spec:
  selector:
    matchLabels: { app: tmpl }
  template:
    metadata:
      labels: { app: tmpl }
    spec:
      containers:
        - name: tmpl
          image: placeholder
          ports: [{ name: http, containerPort: 8080 }]
          envFrom:
            - configMapRef: { name: tmpl-config }
          env:
            - { name: LOG_LEVEL, value: "${logLevel}" }
            - name: API_TOKEN
              valueFrom: { secretKeyRef: { name: tmpl-token, key: token } }
            - name: FLAGS
              valueFrom: { configMapKeyRef: { name: tmpl-flags, key: flags, optional: true } }
${mount}          readinessProbe:
            httpGet: { path: /healthz, port: 8080 }
            periodSeconds: 1
${volume}`,
  );
}

before(async () => {
  manifestDir = await mkdtemp(join(tmpdir(), "grayctl-tmpl-"));
  manifestPath = join(manifestDir, "deployment.yaml");
  app = await startSandboxApp(`app: tmpl
deployment:
  replicas: 2
  manifest: ${manifestPath}
traffic:
  router: nginx
  host: tmpl.local
rollout:
  steps: [{ weight: 50, pause: manual }, 100]
  interval: 1s
  readyTimeout: 30s
`);
  await app.create(R.configmaps, { metadata: { name: "tmpl-config" }, data: { COLOR: "blue" } });
  await app.create(R.secrets, {
    metadata: { name: "tmpl-token" },
    data: { token: Buffer.from(SECRET_VALUE).toString("base64") },
  });
  await writeManifest("info");
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
});
after(async () => {
  await app?.stop();
  await rm(manifestDir, { recursive: true, force: true });
});

const deployment = (name: string) => app.sandbox.store.get(R.deployments, app.namespace, name);
type Env = { name: string; value?: string }[];
/** The literal env values of a pod template or a Pod (both have spec.containers). */
const envOf = (object: { spec?: { containers: { env?: Env }[] } } | undefined) =>
  Object.fromEntries((object?.spec?.containers[0].env ?? []).filter((e) => e.value).map((e) => [e.name, e.value]));
const configHash = (name: string) => deployment(name)?.spec.template.metadata.annotations?.["grayctl.dev/config-hash"];
/** The pods of a track that are not going away, as the ReplicaSet controller left them. */
const livePods = (track: string) =>
  app.sandbox.store
    .list(R.pods, app.namespace)
    .filter((p) => p.metadata.labels?.track === track && !p.metadata.deletionTimestamp);
const stateMap = () => app.sandbox.store.get(R.configmaps, app.namespace, "tmpl-grayctl");

type Entry = {
  revision: number;
  outcome: string;
  changes?: { image?: unknown; template?: string[]; objects?: string[] };
};

test("same image, changed env value: a canary runs the new template, promotion gives stable's pods the new env", async () => {
  await writeManifest("debug");
  const paused = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(paused.code, 4, paused.stdout + paused.stderr);
  assert.match(paused.stderr + paused.stdout, /same image, changed template spec\.containers\[tmpl\]\.env\.LOG_LEVEL/);
  assert.equal(envOf(deployment("tmpl-canary")?.spec.template).LOG_LEVEL, "debug", "the canary runs the new env");
  assert.equal(envOf(deployment("tmpl")?.spec.template).LOG_LEVEL, "info", "stable keeps its template until promotion");
  assert.equal(app.state()?.phase, "paused");

  const promoted = await app.grayctl(["promote"]);
  assert.equal(promoted.code, 0, promoted.stdout + promoted.stderr);
  const stablePods = livePods("stable");
  assert.ok(stablePods.length >= 2, `stable runs ${stablePods.length} pods`);
  for (const pod of stablePods)
    assert.equal(envOf(pod).LOG_LEVEL, "debug", `pod ${pod.metadata.name} runs the new env`);
  const last = app.history().at(-1) as Entry;
  assert.equal(last.outcome, "promoted");
  assert.deepEqual(last.changes, { template: ["spec.containers[tmpl].env.LOG_LEVEL"] });
});

test("image, template and referenced content unchanged: nothing to do, nothing written", async () => {
  const before = stateMap()?.metadata.resourceVersion;
  const generation = deployment("tmpl")?.metadata.generation;
  const planned = await app.grayctl(["plan", "--image", demoImage("v1"), "-o", "json"]);
  assert.equal(JSON.parse(planned.stdout.trim().split("\n").at(-1)!).kind, "unchanged", planned.stdout);
  const again = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /already runs .*; nothing to do/);
  assert.equal(stateMap()?.metadata.resourceVersion, before, "the record was not written");
  assert.equal(deployment("tmpl")?.metadata.generation, generation);
});

test("a changed ConfigMap the template refers to is a release: new digest on the canary's pods, promoted", async () => {
  const stableHash = configHash("tmpl");
  assert.ok(stableHash, "stable's template carries the digest of what it refers to");
  await app.mutate(R.configmaps, "tmpl-config", (map) => {
    map.data = { COLOR: "green" };
  });
  // grayctl plan decides as rollout does: a canary, not "nothing to do".
  const planned = await app.grayctl(["plan", "--image", demoImage("v1"), "-o", "json"]);
  const result = JSON.parse(planned.stdout.trim().split("\n").at(-1)!);
  assert.equal(result.kind, "canary", planned.stdout + planned.stderr);
  const paused = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(paused.code, 4, paused.stdout + paused.stderr);
  assert.notEqual(configHash("tmpl-canary"), stableHash, "the canary's pods restart with the new content");
  assert.equal(configHash("tmpl"), stableHash, "stable's template is untouched until promotion");
  const promoted = await app.grayctl(["promote"]);
  assert.equal(promoted.code, 0, promoted.stdout + promoted.stderr);
  assert.equal(configHash("tmpl"), configHash("tmpl-canary"));
  const last = app.history().at(-1) as Entry;
  assert.deepEqual(last.changes, { objects: ["ConfigMap/tmpl-config"] });
});

test("a changed Secret is a release too, and its content reaches neither the record, the template nor the output", async () => {
  const newValue = "correct-horse-9";
  await app.mutate(R.secrets, "tmpl-token", (secret) => {
    secret.data = { token: Buffer.from(newValue).toString("base64") };
  });
  const paused = await app.grayctl(["rollout", "--image", demoImage("v1"), "-o", "json"]);
  assert.equal(paused.code, 4, paused.stdout + paused.stderr);
  const promoted = await app.grayctl(["promote"]);
  assert.equal(promoted.code, 0, promoted.stdout + promoted.stderr);
  assert.deepEqual((app.history().at(-1) as Entry).changes, { objects: ["Secret/tmpl-token"] });
  const seen = [
    JSON.stringify(stateMap()?.data),
    JSON.stringify(deployment("tmpl")),
    JSON.stringify(deployment("tmpl-canary")),
    paused.stdout + paused.stderr + promoted.stdout + promoted.stderr,
  ].join("\n");
  for (const value of [SECRET_VALUE, newValue])
    for (const form of [value, Buffer.from(value).toString("base64")])
      assert.ok(
        !seen.includes(form),
        `the Secret's content (${form}) was found in the record, a template or the output`,
      );
});

test("an optional reference that appears is a release; a required one that is missing is exit 2 naming it, nothing changed", async () => {
  await app.create(R.configmaps, { metadata: { name: "tmpl-flags" }, data: { flags: "fast" } });
  const paused = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(paused.code, 4, paused.stdout + paused.stderr);
  assert.equal((await app.grayctl(["promote"])).code, 0);
  assert.deepEqual((app.history().at(-1) as Entry).changes, { objects: ["ConfigMap/tmpl-flags"] });

  await writeManifest("debug", true);
  const before = stateMap()?.metadata.resourceVersion;
  const generations = [deployment("tmpl")?.metadata.generation, deployment("tmpl-canary")?.metadata.generation];
  const refused = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(refused.code, 2, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /volumes\[extra\] refers to ConfigMap tmpl-missing, which does not exist in namespace/);
  assert.doesNotMatch(refused.stderr, /\n\s+at /);
  assert.equal(stateMap()?.metadata.resourceVersion, before, "the record was not written");
  assert.deepEqual(
    [deployment("tmpl")?.metadata.generation, deployment("tmpl-canary")?.metadata.generation],
    generations,
  );
  await writeManifest("debug");
});

test("history shows what each release changed, as text and as JSON", async () => {
  await writeManifest("warn");
  assert.equal((await app.grayctl(["rollout", "--image", demoImage("v2")])).code, 4);
  assert.equal((await app.grayctl(["promote"])).code, 0);
  const text = await app.grayctl(["history"]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /CHANGES/);
  assert.match(text.stdout, /promoted .* spec\.containers\[tmpl\]\.env\.LOG_LEVEL/);
  assert.match(text.stdout, /promoted .* ConfigMap\/tmpl-config/);
  assert.match(text.stdout, /promoted .* image, spec\.containers\[tmpl\]\.env\.LOG_LEVEL/);
  const json = await app.grayctl(["history", "-o", "json"]);
  const releases = json.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .filter((event) => event.type === "release");
  assert.deepEqual(releases.at(-1).changes, {
    image: { from: demoImage("v1"), to: demoImage("v2") },
    template: ["spec.containers[tmpl].env.LOG_LEVEL"],
  });
  assert.deepEqual(releases.at(-2).changes, { objects: ["ConfigMap/tmpl-flags"] });
});
