// A cancelled CI job, as GitHub Actions cancels one: SIGINT, then SIGTERM,
// against a slow API (300 ms added to every request). The first write after
// the SIGINT is the route to 100 % stable; the cancellation reaches a retry in
// progress; and a second signal while that route write is in flight does not
// cut it short.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import type { RunningCli } from "../helpers/cli.ts";
import { demoImage, eventually, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";
import { type TrafficWatcher, watchTraffic } from "../helpers/traffic-watcher.ts";

const CONFIG = `app: cafe
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: cafe.local
rollout:
  steps: [10, 50, 100]
  interval: 30s
  readyTimeout: 20s
  progressDeadline: 3m
  leaseDuration: 10s
`;
const CANARY_INGRESS = "/apis/networking.k8s.io/v1/namespaces/default/ingresses/cafe-canary";
const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";

let app: SandboxApp;
let watcher: TrafficWatcher;
const requests: { method: string; path: string; at: number }[] = [];
const running: RunningCli[] = [];
before(async () => {
  app = await startSandboxApp(CONFIG, {
    onRequest: (method, url) => requests.push({ method, path: url.split("?")[0], at: Date.now() }),
  });
  watcher = watchTraffic(app.sandbox.store, "default", "cafe");
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
});
after(async () => {
  for (const child of running) child.kill("SIGKILL");
  watcher.stop();
  await app.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const canaryWeight = () =>
  Number(app.sandbox.store.get(R.ingresses, "default", "cafe-canary")?.metadata.annotations?.[WEIGHT]);
const lastLine = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
/** Requests that change something, Lease renewals left out (they go on while the Lease is held). */
const writesSince = (from: number) =>
  requests.filter((r) => r.at >= from && r.method !== "GET" && !r.path.includes("/leases/"));

/** A rollout at its first step, in the middle of its 30 s window, with every API request slowed. */
async function rolloutInItsWindow(tag: string): Promise<RunningCli> {
  app.sandbox.faults.clear();
  const child = app.spawn(["rollout", "--image", demoImage(tag), "-o", "json"]);
  running.push(child);
  await eventually("the rollout at its first step", () => app.state()?.weight === 10, 60_000);
  app.sandbox.faults.set([{ name: "slow", action: { type: "latency", ms: 300 } }]);
  await sleep(1_000);
  return child;
}

test("SIGINT: the first write is the route to 100 % stable, then the rest of the rollback (exit 3)", async () => {
  const child = await rolloutInItsWindow("v2");
  const from = Date.now();
  child.kill("SIGINT");
  const result = await child.done;
  app.sandbox.faults.clear();
  assert.equal(result.code, 3, result.stderr);
  assert.equal(lastLine(result.stdout).outcome, "rolled-back");
  const writes = writesSince(from);
  assert.deepEqual([writes[0]?.method, writes[0]?.path], ["PATCH", CANARY_INGRESS], JSON.stringify(writes));
  assert.equal(canaryWeight(), 0);
  assert.equal(app.state()?.phase, "rolled-back");
});

test("SIGINT then SIGTERM while the route write is under way: the route write completes before the process exits", async () => {
  const child = await rolloutInItsWindow("v3");
  const from = Date.now();
  child.kill("SIGINT");
  await sleep(400);
  child.kill("SIGTERM");
  const result = await child.done;
  app.sandbox.faults.clear();
  assert.equal(canaryWeight(), 0, `traffic is on stable (${result.code}: ${result.stderr})`);
  assert.deepEqual(writesSince(from)[0]?.path, CANARY_INGRESS);
  // Exiting after the route write is the second signal's due; the rollback is finished by a re-run.
  assert.ok(result.code === 130 || result.code === 3, `exit ${result.code}`);
  const rollback = await app.grayctl(["rollback"]);
  assert.equal(rollback.code, 0, rollback.stderr);
  assert.equal(app.sandbox.store.get(R.deployments, "default", "cafe-canary")?.spec.replicas, 0);
});

test("SIGINT while a read is being retried (pod lists failing): the retry stops and the route write follows within 3 s", async () => {
  const child = await rolloutInItsWindow("v4");
  app.sandbox.faults.set([{ name: "pods", verbs: ["list"], path: "/pods$", action: { type: "error", code: 500 } }]);
  await sleep(2_000);
  const from = Date.now();
  child.kill("SIGINT");
  await eventually("the route to stable", () => writesSince(from).find((w) => w.path === CANARY_INGRESS), 20_000);
  const routedAfter = (writesSince(from).find((w) => w.path === CANARY_INGRESS)?.at ?? 0) - from;
  assert.ok(routedAfter < 3_000, `routed to stable ${routedAfter} ms after SIGINT`);
  const result = await child.done;
  app.sandbox.faults.clear();
  assert.equal(result.code, 3, result.stderr);
  assert.equal(canaryWeight(), 0);
});

test("no track ever had weight without ready pods", () => {
  assert.deepEqual(watcher.violations, []);
});
