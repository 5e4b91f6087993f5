// grayctl rollout against the sandbox with the real client library, run as the
// built binary. A watcher on the sandbox checks safety invariant 1 throughout.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";
import { type TrafficWatcher, watchTraffic } from "../helpers/traffic-watcher.ts";

const CONFIG = `app: shop
namespace: default
deployment:
  replicas: 3
traffic:
  router: nginx
  host: shop.local
rollout:
  steps: [5, 10, 25, 50, 100]
  interval: 1s
  readyTimeout: 6s
  progressDeadline: 2m
`;

let app: SandboxApp;
let watcher: TrafficWatcher;

before(async () => {
  app = await startSandboxApp(CONFIG);
  watcher = watchTraffic(app.sandbox.store, app.namespace, "shop");
});

after(async () => {
  watcher.stop();
  await app.stop();
});

const stableImage = () =>
  app.sandbox.store.get(R.deployments, app.namespace, "shop")?.spec.template.spec.containers[0].image;
const canaryReplicas = () => app.sandbox.store.get(R.deployments, app.namespace, "shop-canary")?.spec.replicas;
const liveStablePods = () =>
  app.sandbox.store
    .list(R.pods, app.namespace, "app=shop,track=stable")
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => p.metadata.name);
const watcherWeight = () => watcher.weights.at(-1);
const lastResult = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1)!);

test("first deploy goes straight to stable and records revision 1", async () => {
  const result = await app.grayctl(["rollout", "--image", demoImage("v1"), "-o", "json"]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const outcome = lastResult(result.stdout);
  assert.equal(outcome.outcome, "deployed");
  assert.equal(outcome.revision, 1);
  assert.equal(stableImage(), demoImage("v1"));
  const ready = app.sandbox.store.get(R.deployments, app.namespace, "shop")?.status.readyReplicas;
  assert.equal(ready, 3);
});

test("v2 is promoted through 5, 10, 25, 50, 100 with the router's weights equal to the plan", async () => {
  const from = watcher.weights.length;
  const result = await app.grayctl(["rollout", "--image", demoImage("v2"), "-o", "json"]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.equal(lastResult(result.stdout).outcome, "promoted");
  assert.deepEqual(watcher.weights.slice(from), [5, 10, 25, 50, 100, 0]);
  const steps = result.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l))
    .filter((e) => e.type === "step");
  assert.deepEqual(
    steps.map((s) => s.weight),
    [5, 10, 25, 50, 100],
  );
  assert.equal(stableImage(), demoImage("v2"));
  assert.equal(canaryReplicas(), 0);
  const audit = app.sandbox.store
    .list(R.events, app.namespace)
    .filter((e) => (e.involvedObject as { name?: string } | undefined)?.name === "shop" && e.reason === "Promoted");
  assert.equal(audit.length, 1, "one Promoted Event on the stable Deployment");
  assert.match(audit[0].message as string, /test-runner/);
});

for (const [kind, tag] of [
  ["failing /healthz (HEALTHZ_FAIL)", "v3-unhealthy"],
  ["crashing (CRASH_AFTER_S)", "v3-crash1"],
] as const) {
  test(`a ${kind} canary is rolled back at its first step, exit 3, stable untouched`, async () => {
    const stablePodsBefore = liveStablePods();
    const from = watcher.weights.length;
    const result = await app.grayctl(["rollout", "--image", demoImage(tag), "-o", "json"]);
    assert.equal(result.code, 3, result.stderr + result.stdout);
    const outcome = lastResult(result.stdout);
    assert.equal(outcome.outcome, "rolled-back");
    assert.match(
      outcome.reason,
      tag.includes("unhealthy")
        ? /pod shop-canary-\S+ is not ready: its readiness probe GET :8080\/healthz answered HTTP 500/
        : /pod shop-canary-\S+ (restarted|is CrashLoopBackOff)/,
    );
    const steps = result.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((e) => e.type === "step");
    assert.ok(steps.length <= 1, `rolled back at the first step, saw ${steps.length} steps`);
    assert.ok(
      watcher.weights.slice(from).every((w) => w <= 5),
      `weights ${watcher.weights.slice(from)}`,
    );
    assert.equal(stableImage(), demoImage("v2"));
    assert.equal(canaryReplicas(), 0);
    assert.deepEqual(liveStablePods(), stablePodsBefore, "stable pods were not touched");
  });
}

test("a rollout that outlives rollout.progressDeadline is rolled back (exit 3) and says so", async () => {
  const slow = ["--set", "rollout.progressDeadline=4s", "--set", "rollout.interval=3s"];
  const result = await app.grayctl(["rollout", "--image", demoImage("v4"), "-o", "json", ...slow]);
  assert.equal(result.code, 3, result.stderr + result.stdout);
  const outcome = lastResult(result.stdout);
  assert.equal(outcome.outcome, "rolled-back");
  assert.match(outcome.reason, /progress deadline exceeded/);
  assert.equal(stableImage(), demoImage("v2"));
  assert.equal(canaryReplicas(), 0);
  assert.equal(watcherWeight(), 0);
});

test("the watcher never saw weight on a track without ready pods", () => {
  assert.ok(watcher.weights.length >= 6, "the watcher observed the ramp");
  assert.deepEqual(watcher.violations, []);
});
