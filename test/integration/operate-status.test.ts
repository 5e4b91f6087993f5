// `grayctl status` against what kubectl reads from the same sandbox, after a
// manual pause (then `grayctl promote`), and after a SIGKILLed rollout (orphaned
// at once, its process on this machine being gone; then `grayctl resume` and
// `promote --full`).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { R } from "../../sandbox/resources.ts";
import { demoImage, eventually, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";
import { type TrafficWatcher, watchTraffic } from "../helpers/traffic-watcher.ts";

const CONFIG = `app: web
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: web.local
rollout:
  steps: [{ weight: 25, pause: manual }, 50, 100]
  interval: 2s
  readyTimeout: 10s
  progressDeadline: 2m
  leaseDuration: 4s
`;

let app: SandboxApp;
let watcher: TrafficWatcher;
before(async () => {
  app = await startSandboxApp(CONFIG);
  watcher = watchTraffic(app.sandbox.store, app.namespace, "web");
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
});
after(async () => {
  watcher.stop();
  await app.stop();
});

const lines = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));

async function status() {
  const result = await app.grayctl(["status", "-o", "json"]);
  assert.equal(result.code, 0, result.stderr);
  return lines(result.stdout).find((e) => e.type === "status");
}

/** What kubectl sees: image, desired and ready replicas per Deployment, and the canary weight. */
async function kubectl() {
  const run = (args: string[]) =>
    promisify(execFile)("/usr/bin/kubectl", [
      "--kubeconfig",
      app.kubectlKubeconfig,
      "-n",
      app.namespace,
      ...args,
      "-o",
      "json",
    ]);
  const deployments = JSON.parse((await run(["get", "deploy"])).stdout).items;
  const ingress = JSON.parse((await run(["get", "ingress", "web-canary"])).stdout);
  // biome-ignore lint/suspicious/noExplicitAny: kubectl's JSON
  const track = (name: string) => deployments.find((d: any) => d.metadata.name === name);
  // biome-ignore lint/suspicious/noExplicitAny: kubectl's JSON
  const summary = (d: any) =>
    d && {
      image: d.spec.template.spec.containers[0].image,
      desired: d.spec.replicas,
      ready: d.status.readyReplicas ?? 0,
    };
  return {
    stable: summary(track("web")),
    canary: summary(track("web-canary")),
    weight: Number(ingress.metadata.annotations["nginx.ingress.kubernetes.io/canary-weight"]),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: the status event's JSON
async function assertMatchesKubectl(view: any) {
  const seen = await kubectl();
  // biome-ignore lint/suspicious/noExplicitAny: the status event's JSON
  const mine = (t: any) => t.exists && { image: t.image, desired: t.desired, ready: t.ready };
  assert.deepEqual({ stable: mine(view.stable), canary: mine(view.canary), weight: view.canaryWeight }, seen);
}

test("a manual pause: rollout exits 4, status agrees with kubectl, `grayctl promote` continues to the end", async () => {
  const rollout = await app.grayctl(["rollout", "--image", demoImage("v2"), "-o", "json"]);
  assert.equal(rollout.code, 4, rollout.stderr + rollout.stdout);
  const paused = await status();
  assert.equal(paused.phase, "paused");
  assert.equal(paused.step, 1);
  assert.equal(paused.canaryWeight, 25);
  assert.equal(paused.orphaned, false);
  assert.equal(paused.canary.image, demoImage("v2"));
  assert.equal(paused.canary.digest, demoImage("v2").split("@")[1]);
  assert.ok(paused.gates.length > 0 && paused.gates.every((g: { result: string }) => g.result === "passed"));
  await assertMatchesKubectl(paused);
  const text = await app.grayctl(["status"]);
  assert.ok(text.stdout.includes(`web (namespace ${app.namespace}): paused`), text.stdout);
  assert.match(text.stdout, /continue with `grayctl promote`/);

  const watch = app.spawn(["status", "--watch", "--interval", "200ms", "-o", "json"]);
  const promoted = await app.grayctl(["promote", "-o", "json"], { env: { GRAYCTL_ACTOR: "release-manager" } });
  assert.equal(promoted.code, 0, promoted.stderr + promoted.stdout);
  assert.equal(lines(promoted.stdout).at(-1).outcome, "promoted");
  assert.equal(
    app.sandbox.store.get(R.deployments, app.namespace, "web")?.spec.template.spec.containers[0].image,
    demoImage("v2"),
  );
  assert.deepEqual(
    app.history().map((h) => [h.revision, h.outcome, h.actor]),
    [
      [1, "deployed", "test-runner"],
      [2, "promoted", "release-manager"],
    ],
  );
  const watched = await watch.done;
  assert.equal(watched.code, 0, watched.stderr);
  const events = lines(watched.stdout);
  const weights = events.filter((e) => e.type === "status").map((e) => e.canaryWeight);
  assert.ok(weights.includes(50) && weights.includes(100), `watch saw the weights change: ${weights}`);
  assert.equal(events.at(-1).end, "ended");
  const reasons = app.sandbox.store.list(R.events, app.namespace).map((e) => e.reason);
  assert.ok(reasons.includes("PromotionContinued") && reasons.includes("Promoted"), `events: ${reasons}`);
});

test("`promote` with nothing in flight is a no-op, exit 0", async () => {
  const nothing = await app.grayctl(["promote"]);
  assert.equal(nothing.code, 0, nothing.stderr);
  assert.match(nothing.stdout, /nothing to promote/);
});

test("after SIGKILL status tells the truth and says orphaned at once (its process on this machine is gone); resume and promote --full finish it", async () => {
  const killed = app.spawn(["rollout", "--image", demoImage("v3")]);
  await eventually(
    "the rollout at its first step",
    () => app.state()?.weight === 25 && app.state()?.phase === "progressing",
    60_000,
  );
  killed.kill("SIGKILL");
  await killed.done;
  // No waiting for the Lease to lapse: the holder ran on this machine and its PID is gone.
  const orphaned = await status();
  assert.equal(orphaned.phase, "progressing");
  assert.equal(orphaned.orphaned, true);
  assert.equal(orphaned.lease.expired, true);
  assert.equal(orphaned.lease.basis, "process-gone");
  assert.match(orphaned.lease.holder, /^test-runner@/);
  await assertMatchesKubectl(orphaned);
  const text = await app.grayctl(["status"]);
  assert.match(text.stdout, /progressing — ORPHANED/);
  assert.match(text.stdout, /nobody runs this rollout \(the process that ran it on this machine is gone\)/);

  const resumed = await app.grayctl(["resume", "-o", "json"]);
  assert.equal(resumed.code, 4, resumed.stderr + resumed.stdout);
  assert.equal(lines(resumed.stdout).at(-1).outcome, "paused");
  const resumeAgain = await app.grayctl(["resume"]);
  assert.equal(resumeAgain.code, 2);
  assert.match(resumeAgain.stderr, /paused at a manual step/);

  const full = await app.grayctl(["promote", "--full", "-o", "json"]);
  assert.equal(full.code, 0, full.stderr + full.stdout);
  assert.equal(lines(full.stdout).filter((e) => e.type === "step").length, 0, "no further steps");
  assert.equal(app.state()?.phase, "promoted");
  await assertMatchesKubectl(await status());
});

test("no track ever had weight without ready pods", () => {
  assert.deepEqual(watcher.violations, []);
});
