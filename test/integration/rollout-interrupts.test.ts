// Rollouts that are raced, cancelled and killed: the Lease makes the second of
// two concurrent rollouts exit 5; SIGTERM rolls back (onInterrupt: rollback);
// SIGKILL leaves recorded state that a re-run finishes from.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { demoImage, eventually, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";
import { type TrafficWatcher, watchTraffic } from "../helpers/traffic-watcher.ts";

const CONFIG = `app: cart
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: cart.local
rollout:
  steps: [10, 50, 100]
  interval: 3s
  readyTimeout: 10s
  progressDeadline: 2m
  leaseDuration: 4s
`;

let app: SandboxApp;
let watcher: TrafficWatcher;
before(async () => {
  app = await startSandboxApp(CONFIG);
  watcher = watchTraffic(app.sandbox.store, app.namespace, "cart");
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
});
after(async () => {
  watcher.stop();
  await app.stop();
});

const canaryWeight = () =>
  Number(
    app.sandbox.store.get(R.ingresses, app.namespace, "cart-canary")?.metadata.annotations?.[
      "nginx.ingress.kubernetes.io/canary-weight"
    ],
  );
const stableImage = () =>
  app.sandbox.store.get(R.deployments, app.namespace, "cart")?.spec.template.spec.containers[0].image;

test("two rollouts of one app at once: the second exits 5 naming the holder; SIGTERM then rolls the first back (exit 3)", async () => {
  const first = app.spawn(["rollout", "--image", demoImage("v2"), "-o", "json"]);
  await eventually("the first rollout at its first step", () => app.state()?.weight === 10);
  const second = await app.grayctl(["rollout", "--image", demoImage("v2")]);
  assert.equal(second.code, 5, second.stderr);
  assert.match(second.stderr, /holds the rollout lock of cart: test-runner@\S+\/\d+/);

  first.kill("SIGTERM");
  const result = await first.done;
  assert.equal(result.code, 3, result.stderr);
  const outcome = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
  assert.equal(outcome.outcome, "rolled-back");
  assert.match(outcome.reason, /SIGTERM.*onInterrupt: rollback/);
  assert.equal(canaryWeight(), 0);
  assert.equal(app.sandbox.store.get(R.deployments, app.namespace, "cart-canary")?.spec.replicas, 0);
  assert.equal(stableImage(), demoImage("v1"));
  assert.equal(app.history().at(-1)?.outcome, "rolled-back");
  assert.equal(app.state()?.phase, "rolled-back");
});

test("SIGKILL in the middle of a step, then `grayctl rollout` again: it resumes from the recorded step and completes", async () => {
  const killed = app.spawn(["rollout", "--image", demoImage("v3")]);
  await eventually(
    "the rollout at its second step",
    () => app.state()?.stepIndex === 1 && app.state()?.weight === 50,
    60_000,
  );
  killed.kill("SIGKILL");
  assert.equal((await killed.done).code, null);
  assert.equal(app.state()?.phase, "progressing", "the record survives the kill");
  assert.equal(canaryWeight(), 50, "traffic stays where it was");
  // The killed holder's Lease expires after leaseDuration (4 s: short for the test, long enough that a loaded machine still renews it within its renew deadline); until then a re-run is refused.
  await eventually("the killed process's Lease to expire", async () => {
    const lease = app.sandbox.store.get(R.leases, app.namespace, "cart-grayctl");
    const renewed = new Date(lease?.spec.renewTime).getTime();
    return Date.now() > renewed + lease?.spec.leaseDurationSeconds * 1000 + 100;
  });
  const from = watcher.weights.length;
  const rerun = await app.grayctl(["rollout", "--image", demoImage("v3"), "-o", "json"]);
  assert.equal(rerun.code, 0, rerun.stderr + rerun.stdout);
  const events = rerun.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  assert.equal(events.at(-1).outcome, "promoted");
  assert.deepEqual(
    events.filter((e) => e.type === "step").map((e) => e.weight),
    [50, 100],
    "resumed at the recorded step",
  );
  // Re-applying 50 % is a no-op write (same value), so the next change the router sees is 100.
  assert.deepEqual(watcher.weights.slice(from), [100, 0]);
  assert.equal(stableImage(), demoImage("v3"));
  assert.equal(app.history().at(-1)?.outcome, "promoted");
});

test("a paused rollout of one image refuses another image unless --supersede", async () => {
  const manual = ["--set", "rollout.steps=[{weight: 10, pause: manual}, 100]"];
  const paused = await app.grayctl(["rollout", "--image", demoImage("v4"), ...manual]);
  assert.equal(paused.code, 4, paused.stderr);
  assert.match(paused.stdout, /paused at step 1 .*grayctl promote/);
  const refused = await app.grayctl(["rollout", "--image", demoImage("v5"), ...manual]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /a rollout of \S+v4\S+ is in flight \(paused, step 1, weight 10%\)[\s\S]*--supersede/);
  assert.equal(canaryWeight(), 10, "refusing changed nothing");
  const superseded = await app.grayctl(["rollout", "--image", demoImage("v5"), "--supersede", "-o", "json"]);
  assert.equal(superseded.code, 0, superseded.stderr);
  assert.equal(JSON.parse(superseded.stdout.trim().split("\n").at(-1)!).outcome, "promoted");
  const history = app.history();
  assert.deepEqual(
    history.slice(-2).map((h) => [h.outcome, h.image]),
    [
      ["rolled-back", demoImage("v4")],
      ["promoted", demoImage("v5")],
    ],
  );
  assert.match(history.at(-2)?.reason ?? "", /superseded by/);
});

test("no track ever had weight without ready pods", () => {
  assert.deepEqual(watcher.violations, []);
});
