// Safety invariants under a flaky API server: 500s, 429s with Retry-After,
// reset connections and 409 conflicts on a share of grayctl's requests. The
// rollout still promotes with the planned weights, a broken canary is still
// rolled back, and no track ever has weight without ready pods.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { FaultRule } from "../../sandbox/index.ts";
import { R } from "../../sandbox/resources.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";
import { type TrafficWatcher, watchTraffic } from "../helpers/traffic-watcher.ts";

const CONFIG = `app: pay
deployment:
  replicas: 2
traffic:
  router: nginx
  host: pay.local
rollout:
  steps: [10, 50, 100]
  interval: 1s
  readyTimeout: 8s
`;

// Watches are left alone: grayctl polls, and the sandbox's kubectl-facing watch is not under test here.
const FLAKY: FaultRule[] = [
  {
    name: "500",
    verbs: ["get", "list", "create", "update", "patch", "proxy"],
    action: { type: "error", code: 500 },
    probability: 0.1,
  },
  {
    name: "429",
    verbs: ["get", "list", "update", "patch"],
    action: { type: "throttle", retryAfterSeconds: 1 },
    probability: 0.03,
  },
  { name: "reset", verbs: ["get", "list", "patch"], action: { type: "reset" }, probability: 0.03 },
  { name: "409", verbs: ["update"], action: { type: "conflict" }, probability: 0.15 },
];

let app: SandboxApp;
let watcher: TrafficWatcher;
before(async () => {
  app = await startSandboxApp(CONFIG, { faultSeed: 7 });
  watcher = watchTraffic(app.sandbox.store, app.namespace, "pay");
  assert.equal((await app.grayctl(["rollout", "--image", demoImage("v1")])).code, 0);
  app.sandbox.faults.set(FLAKY, 7);
});
after(async () => {
  watcher.stop();
  await app.stop();
});

test("under API faults a good canary is promoted with the planned weights", async () => {
  const from = watcher.weights.length;
  const result = await app.grayctl(["rollout", "--image", demoImage("v2"), "-o", "json"]);
  assert.equal(result.code, 0, result.stderr + result.stdout.slice(-2000));
  assert.equal(JSON.parse(result.stdout.trim().split("\n").at(-1)!).outcome, "promoted");
  assert.deepEqual(watcher.weights.slice(from), [10, 50, 100, 0]);
  assert.equal(
    app.sandbox.store.get(R.deployments, app.namespace, "pay")?.spec.template.spec.containers[0].image,
    demoImage("v2"),
  );
  for (const name of ["500", "409"]) assert.ok(app.sandbox.faults.count(name) > 0, `the ${name} rule fired`);
  console.log(
    `faults injected during the promotion: ${JSON.stringify(Object.fromEntries(["500", "429", "reset", "409"].map((n) => [n, app.sandbox.faults.count(n)])))}`,
  );
});

test("under API faults a crashing canary is still rolled back, and traffic ends on stable", async () => {
  const result = await app.grayctl(["rollout", "--image", demoImage("v3-crash1"), "-o", "json"]);
  assert.equal(result.code, 3, result.stderr);
  assert.equal(JSON.parse(result.stdout.trim().split("\n").at(-1)!).outcome, "rolled-back");
  assert.equal(watcher.weights.at(-1), 0);
  assert.equal(app.sandbox.store.get(R.deployments, app.namespace, "pay-canary")?.spec.replicas, 0);
});

test("no track ever had weight without ready pods", () => {
  assert.deepEqual(watcher.violations, []);
});
