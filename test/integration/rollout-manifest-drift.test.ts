// deployment.manifest changes with the release: the canary runs the current
// manifest's pod template with the new image, promotion gives stable that
// template, and a rollback restores the previous release's whole template, not
// only its image. On the real control plane the ReplicaSet controller rolls the
// template out; the suite reads the Deployments it left.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

let app: SandboxApp;
let manifestDir: string;
let manifestPath: string;

/** The team's Deployment, as they keep it next to their code; `env` is what changes between releases. */
async function writeManifest(env: Record<string, string>, memory: string): Promise<void> {
  const lines = Object.entries(env).map(([name, value]) => `            - { name: ${name}, value: "${value}" }`);
  await writeFile(
    manifestPath,
    `apiVersion: apps/v1
kind: Deployment
metadata:
  name: drift
spec:
  selector:
    matchLabels: { app: drift }
  template:
    metadata:
      labels: { app: drift, team: shop }
    spec:
      containers:
        - name: drift
          image: placeholder
          ports: [{ name: http, containerPort: 8080 }]
          env:
${lines.join("\n")}
          resources:
            requests: { memory: ${memory} }
          readinessProbe:
            httpGet: { path: /healthz, port: 8080 }
            periodSeconds: 1
`,
  );
}

before(async () => {
  manifestDir = await mkdtemp(join(tmpdir(), "grayctl-drift-"));
  manifestPath = join(manifestDir, "deployment.yaml");
  app = await startSandboxApp(`app: drift
deployment:
  replicas: 2
  manifest: ${manifestPath}
traffic:
  router: nginx
  host: drift.local
rollout:
  steps: [{ weight: 50, pause: manual }, 100]
  interval: 1s
  readyTimeout: 30s
`);
});
after(async () => {
  await app?.stop();
  await rm(manifestDir, { recursive: true, force: true });
});

const container = (name: string) =>
  app.sandbox.store.get(R.deployments, app.namespace, name)?.spec.template.spec.containers[0];
const envOf = (name: string) =>
  Object.fromEntries((container(name)?.env ?? []).map((e: { name: string; value: string }) => [e.name, e.value]));

test("a changed manifest reaches the canary with the new image, then stable on promotion; history keeps each template", async () => {
  await writeManifest({ GREETING: "one" }, "32Mi");
  assert.equal((await app.grayctl(["rollout", "--image", demoImage("v1")])).code, 0);
  assert.deepEqual(envOf("drift"), { GREETING: "one" });

  await writeManifest({ GREETING: "two", FEATURE_X: "on" }, "64Mi");
  const paused = await app.grayctl(["rollout", "--image", demoImage("v2")]);
  assert.equal(paused.code, 4, paused.stderr);
  assert.deepEqual(envOf("drift-canary"), { GREETING: "two", FEATURE_X: "on" }, "the canary runs the current manifest");
  assert.equal(container("drift-canary")?.resources.requests.memory, "64Mi");
  assert.equal(container("drift-canary")?.image, demoImage("v2"));
  assert.deepEqual(envOf("drift"), { GREETING: "one" }, "stable keeps its template until promotion");

  const promoted = await app.grayctl(["promote"]);
  assert.equal(promoted.code, 0, promoted.stderr);
  assert.deepEqual(envOf("drift"), { GREETING: "two", FEATURE_X: "on" }, "promotion gives stable the new template");
  assert.equal(container("drift")?.resources.requests.memory, "64Mi");
  assert.equal(container("drift")?.image, demoImage("v2"));
  const history = app.history() as { revision: number; template?: { spec: { containers: { env: unknown[] }[] } } }[];
  assert.deepEqual(
    history.map((entry) => entry.template?.spec.containers[0].env.length),
    [1, 2],
    "each release records its whole pod template",
  );
});

test("rollback after a promotion restores the previous template, not only the previous image", async () => {
  const rolledBack = await app.grayctl(["rollback"]);
  assert.equal(rolledBack.code, 0, rolledBack.stderr);
  assert.equal(container("drift")?.image, demoImage("v1"));
  assert.deepEqual(envOf("drift"), { GREETING: "one" });
  assert.equal(container("drift")?.resources.requests.memory, "32Mi");
  const template = app.sandbox.store.get(R.deployments, app.namespace, "drift")?.spec.template;
  assert.equal(template.metadata.labels.track, "stable", "the selector's labels are kept");
});

test("rolling back a canary in flight leaves stable as it was: no write to restore a template it never lost", async () => {
  const stable = () => app.sandbox.store.get(R.deployments, app.namespace, "drift");
  const before = structuredClone(stable());
  await writeManifest({ GREETING: "three" }, "32Mi");
  const paused = await app.grayctl(["rollout", "--image", demoImage("v3")]);
  assert.equal(paused.code, 4, paused.stderr);
  assert.deepEqual(envOf("drift-canary"), { GREETING: "three" });
  const rolledBack = await app.grayctl(["rollback"]);
  assert.equal(rolledBack.code, 0, rolledBack.stderr);
  assert.equal(stable()?.metadata.generation, before?.metadata.generation);
  assert.deepEqual(stable()?.metadata.annotations, before?.metadata.annotations);
  assert.deepEqual(envOf("drift"), { GREETING: "one" });
});
