// The state ConfigMap as on-call meets it after someone edited it by hand, or
// after a newer grayctl wrote it (issue 12, item 6): status and rollout refuse
// with exit 2 naming the object, the field and the repair, and change nothing;
// rollback still sends all traffic to stable and the canary to 0 from the
// cluster's objects alone, under the Lease, without writing the record.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { demoImage, eventually, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";
import { type TrafficWatcher, watchTraffic } from "../helpers/traffic-watcher.ts";

const CONFIG = `app: ledger
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: ledger.local
rollout:
  steps: [50, 100]
  interval: 10m
  readyTimeout: 20s
  progressDeadline: 30m
  leaseDuration: 4s
`;
const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";

let app: SandboxApp;
let watcher: TrafficWatcher;
before(async () => {
  app = await startSandboxApp(CONFIG);
  watcher = watchTraffic(app.sandbox.store, app.namespace, "ledger");
});
after(async () => {
  watcher.stop();
  await app.stop();
});

const store = () => app.sandbox.store;
const data = () => store().get(R.configmaps, app.namespace, "ledger-grayctl")?.data as Record<string, string>;
const canaryWeight = () => store().get(R.ingresses, app.namespace, "ledger-canary")?.metadata.annotations?.[WEIGHT];
const image = (name: string) => store().get(R.deployments, app.namespace, name)?.spec.template.spec.containers[0].image;
const editState = (change: (data: Record<string, string>) => void) =>
  app.mutate(R.configmaps, "ledger-grayctl", (map) => change(map.data as Record<string, string>));
const noStack = (stderr: string) => assert.doesNotMatch(stderr, /at .*\.[jt]s:\d+/, "no stack trace");

test("records carry their schema version", async () => {
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(data().schemaVersion, "1");
});

test("a record without stepIndex: status and rollout exit 2 naming the ConfigMap, the field and the repair, and skip nothing; rollback works from the objects alone", async () => {
  const rollout = app.spawn(["rollout", "--image", demoImage("v2")]);
  await eventually("the canary at 50 %", () => app.state()?.weight === 50, 90_000);
  rollout.kill("SIGKILL");
  await rollout.done;
  await editState((d) => {
    const state = JSON.parse(d.state);
    delete state.stepIndex;
    d.state = JSON.stringify(state);
  });
  const edited = data().state;

  const status = await app.grayctl(["status"]);
  assert.equal(status.code, 2, status.stderr + status.stdout);
  assert.match(status.stderr, new RegExp(`ConfigMap ledger-grayctl in namespace ${app.namespace}: `));
  assert.match(status.stderr, /data\.state\.stepIndex/);
  assert.match(status.stderr, /kubectl patch configmap ledger-grayctl -n \S+ --type=json/);
  noStack(status.stderr);

  // A missing step index used to count as "past every step": the run promoted the canary at once.
  const resumed = await app.grayctl(["rollout", "--image", demoImage("v2")]);
  assert.equal(resumed.code, 2, resumed.stderr + resumed.stdout);
  assert.match(resumed.stderr, /data\.state\.stepIndex/);
  noStack(resumed.stderr);
  assert.equal(image("ledger"), demoImage("v1"), "stable not promoted");
  assert.equal(canaryWeight(), "50", "traffic unchanged");

  const rollback = await app.grayctl(["rollback", "-o", "json"]);
  assert.equal(rollback.code, 0, rollback.stderr + rollback.stdout);
  assert.match(rollback.stdout + rollback.stderr, /rolling back from the cluster's objects alone/);
  assert.match(rollback.stdout + rollback.stderr, /kubectl patch configmap ledger-grayctl/);
  const result = JSON.parse(rollback.stdout.trim().split("\n").at(-1)!);
  assert.equal(result.outcome, "rolled-back");
  assert.equal(canaryWeight(), "0");
  assert.equal(store().get(R.deployments, app.namespace, "ledger-canary")?.spec.replicas, 0);
  assert.equal(image("ledger"), demoImage("v1"));
  assert.equal(data().state, edited, "the unreadable record is left as it was");
  assert.deepEqual(watcher.violations, []);
});

test("the repair the message gives works: with the state removed, a rollout starts afresh", async () => {
  await editState((d) => {
    delete d.state;
  });
  const status = await app.grayctl(["status", "-o", "json"]);
  assert.equal(status.code, 0, status.stderr);
  assert.equal(JSON.parse(status.stdout.trim().split("\n").at(-1)!).phase, "none");
});

test("a record that is not JSON, or a history entry with an unknown outcome: exit 2 naming the key", async () => {
  const saved = { ...data() };
  await editState((d) => {
    d.state = '{"phase": "progressing",';
  });
  const notJson = await app.grayctl(["status"]);
  assert.equal(notJson.code, 2, notJson.stderr);
  assert.match(notJson.stderr, /data\.state is not JSON/);
  noStack(notJson.stderr);

  await editState((d) => {
    delete d.state;
    const history = JSON.parse(d.history);
    history[0].outcome = "done";
    d.history = JSON.stringify(history);
  });
  const history = await app.grayctl(["history"]);
  assert.equal(history.code, 2, history.stderr);
  assert.match(history.stderr, /data\.history\[0\]\.outcome/);
  await editState((d) => {
    d.history = saved.history;
  });
});

test("a record written by a newer grayctl is refused with a message; rollback still routes to stable from the objects", async () => {
  await editState((d) => {
    d.schemaVersion = "2";
  });
  const status = await app.grayctl(["status"]);
  assert.equal(status.code, 2, status.stderr);
  assert.match(status.stderr, /written by a newer grayctl \(state schema version 2; this grayctl reads up to 1\)/);
  assert.match(status.stderr, /Upgrade grayctl/);
  const rollout = await app.grayctl(["rollout", "--image", demoImage("v3")]);
  assert.equal(rollout.code, 2, rollout.stderr);
  assert.equal(store().get(R.deployments, app.namespace, "ledger-canary")?.spec.replicas, 0, "no canary started");
  const rollback = await app.grayctl(["rollback"]);
  assert.equal(rollback.code, 0, rollback.stderr);
  assert.equal(data().schemaVersion, "2", "left for the newer grayctl");
});
