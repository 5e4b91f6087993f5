// What a rollout says, read as a CI log (plain lines on stderr), from the built
// grayctl against the sandbox, whose pods are real processes: the first line
// says what is about to happen; progress is a line per change of state; pods
// coming up are shown, and any that cannot be scheduled, pulled or kept running
// is named at once with the pod's own message; a canary that never becomes ready
// is explained by its own readiness probe; a failed gate is a warning and the
// rollback names every gate that failed.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const CI = { CI: "true" };

/**
 * The log lines of a plain run: level and message, timestamps dropped. On the real
 * control plane the test kubeconfig's token expires within the hour, which every
 * command warns about when it connects (decision 036): that line is not the rollout's.
 */
function logLines(stderr: string): { level: string; message: string }[] {
  return stderr
    .split("\n")
    .map((line) => /^\S+Z (\S+)\s+(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => ({ level: match[1], message: match[2] }))
    .filter((line) => !/^the token of user "\S+" \(context "\S+"\) expires/.test(line.message));
}

describe("a rollout's log", () => {
  let app: SandboxApp;
  before(async () => {
    app = await startSandboxApp(`app: shop
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: shop.local
rollout:
  steps: [50, 100]
  interval: 3s
  readyTimeout: 10s
  progressDeadline: 2m
`);
  });
  after(() => app.stop());

  test("a first deploy says so first, then shows its pods coming up", async () => {
    const result = await app.grayctl(["rollout", "--image", demoImage("v1")], { env: CI });
    assert.equal(result.code, 0, result.stderr);
    const lines = logLines(result.stderr);
    assert.ok(
      lines[0].message.startsWith(
        `first deploy of shop in ${app.namespace}: ${short("v1")} straight to stable (2 replicas`,
      ),
      lines[0].message,
    );
    assert.ok(
      lines.some((l) => /^first deploy: waiting for Deployment shop to roll out · \d\/2 updated/.test(l.message)),
      result.stderr,
    );
  });

  test("a canary rollout: the first line says what will happen; then a line per change, never per second", async () => {
    const result = await app.grayctl(["rollout", "--image", demoImage("v2")], { env: CI });
    assert.equal(result.code, 0, result.stderr);
    const lines = logLines(result.stderr);
    assert.equal(
      lines[0].message,
      `rollout of shop in ${app.namespace}: ${short("v1")} → ${short("v2")}; steps 50% → 100%, 3s each; gates: health; expected 6s plus pod start-up`,
    );
    // The canary coming up is shown (pods ready x/y), in the step's terms.
    assert.ok(lines.some((l) => /^step 1\/2: 50% to canary · 0\/1 canary pods ready$/.test(l.message)));
    // One line per step and state: the window's countdown is not a change, and nothing says "0ms left".
    const states = lines.map((l) => l.message.replace(/ · \S+ left$/, ""));
    for (let i = 1; i < states.length; i++) assert.notEqual(states[i], states[i - 1], result.stderr);
    assert.doesNotMatch(result.stderr, /0ms left/);
    assert.doesNotMatch(result.stderr, /canary weight/, "no second line per step");
    assert.equal(lines.filter((l) => l.message.startsWith("step 1/2: 50% to canary: window")).length, 1);
  });

  test("a failed gate is a warning, and the rollback names every gate that failed in that look", async () => {
    const checks =
      'analysis.checks=[{name: smoke, command: [sh, -c, "echo smoke broke >&2; exit 1"]}, {name: contract, command: [sh, -c, "exit 2"]}]';
    const result = await app.grayctl(["rollout", "--image", demoImage("v3"), "--set", checks], { env: CI });
    assert.equal(result.code, 3, result.stderr);
    const lines = logLines(result.stderr);
    assert.match(lines[0].message, /gates: health, smoke, contract;/);
    const gateLines = lines.filter((l) => /^(smoke|contract): failed/.test(l.message));
    assert.deepEqual(
      gateLines.map((l) => l.level),
      ["warn", "warn"],
      result.stderr,
    );
    assert.match(result.stdout, /rolled back .*: smoke: exited 1:\s+smoke broke; contract: exited 2/);
    assert.match(app.history().at(-1)?.reason ?? "", /^smoke: exited 1:\s+smoke broke; contract: exited 2/);
  });
});

const short = (tag: string) => demoImage(tag).replace(/(@sha256:[0-9a-f]{12})[0-9a-f]+$/, "$1");

describe("a canary that cannot come up is named with the pod's own words", () => {
  let app: SandboxApp;
  let manifest: string;
  /** The team's Deployment: `extra` goes into the pod spec, `probe` is the readiness probe's path. */
  const writeManifest = (probe: string, extra = "") =>
    writeFile(
      manifest,
      `apiVersion: apps/v1
kind: Deployment
metadata: { name: pods }
spec:
  selector: { matchLabels: { app: pods } }
  template:
    metadata: { labels: { app: pods } }
    spec:
${extra}      containers:
        - name: pods
          image: placeholder
          ports: [{ name: http, containerPort: 8080 }]
          readinessProbe:
            httpGet: { path: ${probe}, port: http }
            periodSeconds: 1
`,
    );

  before(async () => {
    app = await startSandboxApp(`app: pods
deployment:
  replicas: 1
  manifest: ./deployment.yaml
traffic:
  router: nginx
  host: pods.local
rollout:
  steps: [50, 100]
  interval: 1s
  readyTimeout: 4s
  progressDeadline: 1m
`);
    manifest = join(app.dir, "deployment.yaml");
    await writeManifest("/healthz");
    const first = await app.grayctl(["rollout", "--image", demoImage("v1")], { env: CI });
    assert.equal(first.code, 0, first.stderr);
  });
  after(() => app.stop());

  test("never ready: the reason is its own readiness probe's answer, not /healthz's", async () => {
    await writeManifest("/readyz");
    const result = await app.grayctl(["rollout", "--image", demoImage("v2")], { env: CI });
    assert.equal(result.code, 3, result.stderr);
    assert.match(
      result.stdout,
      /0\/1 canary pods ready in time: pod pods-canary-\S+ is not ready: its readiness probe GET :8080\/readyz answered HTTP 404/,
    );
    assert.doesNotMatch(result.stdout, /healthz/);
  });

  test("unschedulable: FailedScheduling is said at once, with the scheduler's message", async () => {
    await writeManifest("/healthz", "      nodeSelector: { disktype: ssd }\n");
    const result = await app.grayctl(["rollout", "--image", demoImage("v3")], { env: CI });
    assert.equal(result.code, 3, result.stderr);
    const lines = logLines(result.stderr);
    const told = lines.findIndex(
      (l) => l.level === "warn" && /cannot be scheduled \(FailedScheduling\)/.test(l.message),
    );
    assert.ok(told >= 0, result.stderr);
    assert.match(
      lines[told].message,
      /0\/1 nodes are available: 1 node\(s\) didn't match Pod's node affinity\/selector/,
    );
    // Said while waiting, before the wait ran out and the rollback began.
    assert.ok(told < lines.findIndex((l) => l.message.startsWith("rolling back")), result.stderr);
    assert.match(result.stdout, /pod pods-canary-\S+ cannot be scheduled: 0\/1 nodes are available/);
  });

  test("an image that cannot be pulled is named with the pull error", async () => {
    await writeManifest("/healthz");
    const image =
      "registry.example.com/pods:v4@sha256:4444444444444444444444444444444444444444444444444444444444444444";
    const result = await app.grayctl(["rollout", "--image", image], { env: CI });
    assert.equal(result.code, 3, result.stderr);
    assert.match(
      result.stdout,
      /pod pods-canary-\S+ is (ErrImagePull|ImagePullBackOff) \(restarts: 0\): .*registry\.example\.com\/pods:v4/,
    );
  });

  test("a crash loop is named with how the container last exited", async () => {
    const result = await app.grayctl(["rollout", "--image", demoImage("v5-crash0.2")], { env: CI });
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stdout, /pod pods-canary-\S+ is CrashLoopBackOff \(restarts: \d\): last exit code 1 \(Error\)/);
  });
});
