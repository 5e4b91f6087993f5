// Rollback when stable cannot simply take the traffic back (issue 12, item 7):
// stable scaled to 0 or deleted (brought up first, traffic moved only onto
// ready pods, or refused with instructions when it cannot be), the previous
// image gone from the registry (reported as soon as a pod cannot pull it,
// nothing recorded as rolled back while the new version still serves), and a
// first deploy interrupted (continued by running `rollout` again).
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { demoImage, eventually, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";
import { EventLog, readyPodsBehind } from "../helpers/event-replay.ts";

const CONFIG = `app: till
namespace: default
deployment:
  replicas: 2
  manifest: deployment.yaml
traffic:
  router: nginx
  host: till.local
rollout:
  steps: [50, 100]
  interval: 10m
  readyTimeout: 30s
  progressDeadline: 3m
  leaseDuration: 4s
`;
// Ready 3 s after start: long enough for a first deploy to be interrupted while it waits.
const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: till
spec:
  template:
    spec:
      containers:
        - name: till
          image: placeholder
          ports: [{ name: http, containerPort: 8080 }]
          readinessProbe:
            httpGet: { path: /healthz, port: 8080 }
            initialDelaySeconds: 3
            periodSeconds: 1
`;
const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";

let app: SandboxApp;
const log = new EventLog();
/** resourceVersions of the Ingress changes made while an action under test ran. */
let during: Set<string> | undefined;
let stopRecording: () => void;
before(async () => {
  app = await startSandboxApp(CONFIG);
  await writeFile(join(app.dir, "deployment.yaml"), MANIFEST);
  // From before any object exists, so the replay knows every object a route write is judged against.
  const stops = [R.ingresses, R.pods, R.services].map((type) =>
    app.sandbox.store.watch(type, app.namespace, undefined, (event) => {
      log.record(type, event);
      if (type === R.ingresses) during?.add(event.object.metadata.resourceVersion ?? "");
    }),
  );
  stopRecording = () => {
    for (const stop of stops) stop();
  };
});
after(async () => {
  stopRecording();
  await app.stop();
});

/**
 * Every write of the canary's weight that left stable with traffic and no
 * ready pod behind Service till-stable, in the API server's order (resourceVersion),
 * among the writes made while `act` ran.
 */
async function routedOntoNothing(act: () => Promise<void>): Promise<string[]> {
  during = new Set();
  await act(); // app.grayctl lets the mirror catch up before it returns
  const written = during;
  during = undefined;
  const found: string[] = [];
  log.replay((replayed, { type, event, previous }) => {
    if (type !== R.ingresses || event.object.metadata.name !== "till-canary" || event.type === "DELETED") return;
    const weight = event.object.metadata.annotations?.[WEIGHT];
    if (weight === previous?.metadata.annotations?.[WEIGHT] || Number(weight) >= 100) return;
    if (!written.has(event.object.metadata.resourceVersion ?? "")) return;
    const ready = readyPodsBehind(replayed, app.namespace, "till-stable").length;
    if (ready === 0) found.push(`canary weight ${weight}% (stable ${100 - Number(weight)}%) with no ready stable pod`);
  });
  return found;
}

const store = () => app.sandbox.store;
const deployment = (name: string) => store().get(R.deployments, app.namespace, name);
const canaryWeight = () => store().get(R.ingresses, app.namespace, "till-canary")?.metadata.annotations?.[WEIGHT];
const last = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1)!);
const stablePods = (withTerminating = false) =>
  store()
    .list(R.pods, app.namespace)
    .filter((p) => p.metadata.labels?.track === "stable" && (withTerminating || !p.metadata.deletionTimestamp));

/** A rollout of `tag` left at 50 % by a killed process, as on-call finds it. */
async function canaryAtHalf(tag: string) {
  const rollout = app.spawn(["rollout", "--image", demoImage(tag)]);
  await eventually(`the canary of ${tag} at 50 %`, () => app.state()?.weight === 50, 120_000);
  rollout.kill("SIGKILL");
  await rollout.done;
}

test("SIGINT during a first deploy leaves a record that `rollout` continues", async () => {
  const first = app.spawn(["rollout", "--image", demoImage("v1")]);
  await eventually("the first deploy's Deployment", () => deployment("till") && app.state()?.phase === "deploying");
  first.kill("SIGINT");
  const interrupted = await first.done;
  assert.equal(interrupted.code, 4, interrupted.stderr + interrupted.stdout);
  assert.match(interrupted.stdout + interrupted.stderr, /run `grayctl rollout` again/);
  assert.equal(app.state()?.phase, "deploying");
  const status = await app.grayctl(["status", "-o", "json"]);
  assert.equal(status.code, 0, status.stderr);
  assert.equal(last(status.stdout).phase, "deploying");

  const again = await app.grayctl(["rollout", "--image", demoImage("v1"), "-o", "json"]);
  assert.equal(again.code, 0, again.stderr + again.stdout);
  assert.equal(last(again.stdout).outcome, "deployed");
  assert.equal(app.state()?.phase, "deployed");
  assert.deepEqual(
    app.history().map((h) => [h.revision, h.outcome]),
    [[1, "deployed"]],
  );
  assert.equal(deployment("till")?.status.readyReplicas, 2);
});

test("stable scaled to 0 under a canary at 50 %: rollback scales it up and moves traffic only once a stable pod is ready", async () => {
  await canaryAtHalf("v2");
  await app.mutate(R.deployments, "till", (d) => {
    d.spec.replicas = 0;
  });
  await eventually("stable's pods gone", () => stablePods(true).length === 0, 60_000);
  let rollback = { code: null as number | null, stdout: "", stderr: "" };
  const violations = await routedOntoNothing(async () => {
    rollback = await app.grayctl(["rollback", "-o", "json"]);
  });
  assert.equal(rollback.code, 0, rollback.stderr + rollback.stdout);
  assert.deepEqual(violations, [], "traffic moved only onto ready stable pods");
  assert.ok((deployment("till")?.status.readyReplicas ?? 0) > 0);
  const result = last(rollback.stdout);
  assert.equal(result.outcome, "rolled-back");
  assert.equal(result.broughtUp, "scaled Deployment till from 0 to 2");
  assert.equal(canaryWeight(), "0");
});

test("a cancelled rollout whose stable was scaled to 0 meanwhile: its own rollback brings stable up before it routes to it", async () => {
  const rollout = app.spawn(["rollout", "--image", demoImage("v2b"), "-o", "json"]);
  await eventually("the canary of v2b at 50 %", () => app.state()?.weight === 50, 120_000);
  await app.mutate(R.deployments, "till", (d) => {
    d.spec.replicas = 0;
  });
  await eventually("stable's pods gone", () => stablePods(true).length === 0, 60_000);
  let ended = { code: null as number | null, stdout: "", stderr: "" };
  const violations = await routedOntoNothing(async () => {
    rollout.kill("SIGINT");
    ended = await rollout.done;
    await app.grayctl(["status"]); // lets the mirror catch up on the real cluster
  });
  assert.equal(ended.code, 3, ended.stderr + ended.stdout);
  assert.deepEqual(violations, [], "traffic moved only onto ready stable pods");
  assert.match(ended.stdout + ended.stderr, /scaling it to 2 before moving traffic to it/);
  assert.equal(canaryWeight(), "0");
  assert.equal(deployment("till")?.spec.replicas, 2);
});

test("stable deleted under a canary at 50 %: rollback recreates it with the image it ran, then routes to it", async () => {
  await canaryAtHalf("v3");
  await app.remove(R.deployments, "till");
  await eventually("stable's pods gone", () => stablePods(true).length === 0, 60_000);
  let rollback = { code: null as number | null, stdout: "", stderr: "" };
  const violations = await routedOntoNothing(async () => {
    rollback = await app.grayctl(["rollback", "-o", "json"]);
  });
  assert.equal(rollback.code, 0, rollback.stderr + rollback.stdout);
  assert.deepEqual(violations, [], "traffic moved only onto ready stable pods");
  assert.equal(last(rollback.stdout).broughtUp, `recreated Deployment till with ${demoImage("v1")}`);
  assert.equal(deployment("till")?.spec.template.spec.containers[0].image, demoImage("v1"));
  assert.equal(canaryWeight(), "0");
});

test("stable deleted and the record unreadable: rollback refuses to move traffic onto nothing, exit 6 with instructions", async () => {
  await canaryAtHalf("v4");
  await app.remove(R.deployments, "till");
  await eventually("stable's pods gone", () => stablePods(true).length === 0, 60_000);
  await app.mutate(R.configmaps, "till-grayctl", (map) => {
    (map.data as Record<string, string>).state = "{";
  });
  const rollback = await app.grayctl(["rollback"]);
  assert.equal(rollback.code, 6, rollback.stderr + rollback.stdout);
  assert.match(
    rollback.stderr,
    /did not move traffic to stable, which cannot carry it: Deployment till in namespace \S+ does not exist/,
  );
  assert.match(rollback.stderr, /kubectl -n \S+ scale deployment till-canary --replicas=0/);
  assert.doesNotMatch(rollback.stderr, /at .*\.[jt]s:\d+/, "no stack trace");
  assert.equal(canaryWeight(), "50", "traffic left on the canary, which has ready pods");
  // Repaired by hand as the message says: the record dropped, stable recreated by the next rollback.
  await app.mutate(R.configmaps, "till-grayctl", (map) => {
    delete (map.data as Record<string, string>).state;
  });
  const deploy = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(deploy.code, 0, deploy.stderr);
  await app.grayctl(["rollback", "--force"]);
  assert.equal(canaryWeight(), "0");
});

test("the previous image can no longer be pulled: rollback says so as soon as a pod cannot pull it, and records nothing as rolled back", async () => {
  const promoted = await app.grayctl(["rollout", "--image", demoImage("v5"), "--set", "rollout.interval=1s"]);
  assert.equal(promoted.code, 0, promoted.stderr);
  // The registry lost v1: its history entry now names an image nobody can pull.
  const gone = "sandbox.local/gone:v1@sha256:1111111111111111111111111111111111111111111111111111111111111111";
  await app.mutate(R.configmaps, "till-grayctl", (map) => {
    const history = JSON.parse((map.data as Record<string, string>).history);
    for (const release of history) if (release.image === demoImage("v1")) release.image = gone;
    (map.data as Record<string, string>).history = JSON.stringify(history);
  });
  const before = app.history().length;

  const rollback = await app.grayctl(["rollback", "-o", "json"], { timeoutMs: 170_000 });
  assert.equal(rollback.code, 6, rollback.stderr + rollback.stdout);
  const result = last(rollback.stdout);
  assert.equal(result.outcome, "timeout");
  assert.match(result.message, /is NOT rolled back/);
  assert.match(
    result.message,
    new RegExp(`cannot pull ${gone.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: (ErrImagePull|ImagePullBackOff)`),
  );
  assert.match(
    result.message,
    new RegExp(`pods serving now run ${demoImage("v5").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(2 ready pods\\)`),
  );
  assert.doesNotMatch(result.message, /timed out/, "reported from the pod, not after the deadline");
  assert.equal(app.history().length, before, "no rolled-back entry");
  assert.equal(app.history().at(-1)?.outcome, "promoted");
  assert.equal(app.state()?.phase, "rolling-back");
  const serving = stablePods().filter((p) =>
    p.status?.conditions?.some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True"),
  );
  assert.deepEqual(
    serving.map((p) => p.spec.containers[0].image),
    [demoImage("v5"), demoImage("v5")],
  );
});
