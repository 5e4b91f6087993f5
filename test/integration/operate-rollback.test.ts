// `grayctl rollback` from a second process while a rollout runs, after a
// promotion, twice, and with nothing deployed; each checked on the sandbox's
// objects, including every write made after the rollback began.
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
const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";

let app: SandboxApp;
let watcher: TrafficWatcher;
before(async () => {
  app = await startSandboxApp(CONFIG);
  watcher = watchTraffic(app.sandbox.store, app.namespace, "cart");
});
after(async () => {
  watcher.stop();
  await app.stop();
});

const store = () => app.sandbox.store;
const stableImage = () => store().get(R.deployments, app.namespace, "cart")?.spec.template.spec.containers[0].image;
const lines = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
const oncall = { GRAYCTL_ACTOR: "oncall-alice" };

/** Every change to the objects a rollout writes, in order, with what identifies the writer. */
function recordWrites() {
  // biome-ignore lint/suspicious/noExplicitAny: raw objects as the sandbox stores them
  const writes: { kind: string; name: string; object: any }[] = [];
  const stops = [R.ingresses, R.deployments, R.configmaps, R.leases].map((type) =>
    store().watch(type, app.namespace, undefined, (event) =>
      writes.push({ kind: type.kind, name: event.object.metadata.name ?? "", object: event.object }),
    ),
  );
  return {
    writes,
    stop: () => {
      for (const stop of stops) stop();
    },
  };
}

test("rollback with nothing ever deployed: exit 2 naming the app and namespace", async () => {
  const result = await app.grayctl(["rollback"]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(`nothing to roll back: cart was never deployed to namespace ${app.namespace} `),
  );
  assert.doesNotMatch(result.stderr, /at .*\.js:\d+/, "no stack trace");
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
});

test("a rollout in one process, `rollback --force` in another: one router write to 100 % stable, canary to 0, the first process exits 3 writing nothing more", async () => {
  const rollout = app.spawn(["rollout", "--image", demoImage("v2"), "-o", "json"]);
  await eventually(
    "the rollout at its second step",
    () => app.state()?.stepIndex === 1 && app.state()?.weight === 50,
    60_000,
  );
  const recorder = recordWrites();
  const rollback = await app.grayctl(["rollback", "--force", "--reason", "pager: checkout errors", "-o", "json"], {
    env: oncall,
  });
  assert.equal(rollback.code, 0, rollback.stderr + rollback.stdout);
  const result = lines(rollback.stdout).at(-1);
  assert.equal(result.outcome, "rolled-back");
  assert.equal(result.reason, "pager: checkout errors");
  assert.equal(typeof result.stableAfterMs, "number");

  const first = await rollout.done;
  assert.equal(first.code, 3, first.stderr);
  const firstResult = lines(first.stdout).at(-1);
  assert.equal(firstResult.outcome, "superseded");
  assert.match(firstResult.message, /superseded by rollback/);
  // Give a process that failed to stop the chance to write, then look.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  recorder.stop();

  const ingressWrites = recorder.writes.filter((w) => w.kind === "Ingress" && w.name === "cart-canary");
  assert.deepEqual(
    ingressWrites.map((w) => w.object.metadata.annotations?.[WEIGHT]),
    ["0"],
    "exactly one router write, to 0",
  );

  const canarySpecs = recorder.writes.filter((w) => w.kind === "Deployment" && w.name === "cart-canary");
  const generations = [...new Set(canarySpecs.map((w) => w.object.metadata.generation))];
  assert.equal(generations.length, 1, `one spec change of the canary (scale to 0), saw generations ${generations}`);
  assert.equal(store().get(R.deployments, app.namespace, "cart-canary")?.spec.replicas, 0);
  const canaryScaledAt = recorder.writes.findIndex((w) => w.kind === "Deployment" && w.name === "cart-canary");
  const routedAt = recorder.writes.findIndex((w) => w.kind === "Ingress" && w.name === "cart-canary");
  assert.ok(routedAt < canaryScaledAt, "traffic moved to stable before the canary was scaled down");

  const owner = (app.state() as { owner?: string } | undefined)?.owner ?? "";
  assert.match(owner, /^oncall-alice@/);
  const states = recorder.writes
    .filter((w) => w.kind === "ConfigMap")
    .map((w) => JSON.parse(w.object.data.state).owner);
  const claimedAt = states.indexOf(owner);
  assert.ok(claimedAt >= 0, "the rollback claimed the rollout");
  assert.deepEqual(
    states.slice(claimedAt).filter((o) => o !== owner),
    [],
    "no state write by the superseded process after the claim",
  );

  const holders = recorder.writes.filter((w) => w.kind === "Lease").map((w) => w.object.spec.holderIdentity);
  const takenAt = holders.indexOf(owner);
  assert.ok(takenAt >= 0, "the rollback took the Lease");
  assert.deepEqual(
    holders.slice(takenAt).filter((h) => h !== owner && h !== ""),
    [],
    "no Lease write by the superseded process",
  );
  assert.equal(holders.at(-1), "", "the rollback released the Lease");

  assert.equal(Number(store().get(R.ingresses, app.namespace, "cart-canary")?.metadata.annotations?.[WEIGHT]), 0);
  assert.equal(stableImage(), demoImage("v1"));
  assert.equal(app.state()?.phase, "rolled-back");
  const last = app.history().at(-1);
  assert.equal(last?.outcome, "rolled-back");
  assert.equal(last?.actor, "oncall-alice");
  assert.equal(last?.reason, "pager: checkout errors");

  // biome-ignore lint/suspicious/noExplicitAny: core/v1 Event fields
  const events: any[] = store()
    .list(R.events, app.namespace)
    .filter((e) => e.reason === "RolledBack");
  assert.equal(events.length, 1);
  assert.equal(events[0].involvedObject.kind, "Deployment");
  assert.equal(events[0].involvedObject.name, "cart");
  assert.equal(events[0].involvedObject.uid, store().get(R.deployments, app.namespace, "cart")?.metadata.uid);
  assert.equal(events[0].source.component, "grayctl");
  assert.match(events[0].message, /by oncall-alice: pager: checkout errors/);
});

test("rolling back again is a no-op: exit 0, nothing written", async () => {
  const recorder = recordWrites();
  const again = await app.grayctl(["rollback", "-o", "json"]);
  recorder.stop();
  assert.equal(again.code, 0, again.stderr);
  assert.equal(lines(again.stdout).at(-1).outcome, "nothing-to-do");
  assert.deepEqual(
    recorder.writes.map((w) => `${w.kind}/${w.name}`),
    [],
  );
});

test("after v3 is promoted over v1, rollback brings stable back to v1's digest; history shows the releases and the rollback with its actor", async () => {
  const promoted = await app.grayctl(["rollout", "--image", demoImage("v3")]);
  assert.equal(promoted.code, 0, promoted.stderr);
  assert.equal(stableImage(), demoImage("v3"));
  const from = watcher.weights.length;

  const rollback = await app.grayctl(["rollback", "--reason", "v3 leaks memory", "-o", "json"], { env: oncall });
  assert.equal(rollback.code, 0, rollback.stderr + rollback.stdout);
  const result = lines(rollback.stdout).at(-1);
  assert.equal(result.restoredRevision, 1);
  assert.equal(stableImage(), demoImage("v1"));
  const stable = store().get(R.deployments, app.namespace, "cart");
  assert.equal(stable?.status.updatedReplicas, 2, "waited until stable rolled out");
  assert.equal(stable?.status.readyReplicas, 2);
  assert.deepEqual(watcher.weights.slice(from), [], "traffic stayed 100 % on stable");

  const history = await app.grayctl(["history", "-o", "json"]);
  assert.equal(history.code, 0, history.stderr);
  const releases = lines(history.stdout).filter((e) => e.type === "release");
  assert.deepEqual(
    releases.map((r) => [r.revision, r.outcome, r.image, r.actor]),
    [
      [1, "deployed", demoImage("v1"), "test-runner"],
      [2, "rolled-back", demoImage("v2"), "oncall-alice"],
      [3, "promoted", demoImage("v3"), "test-runner"],
      [3, "rolled-back", demoImage("v3"), "oncall-alice"],
    ],
  );
  assert.equal(releases[3].restoredRevision, 1);
  assert.equal(releases[3].reason, "v3 leaks memory");
  assert.equal(releases[0].digest, demoImage("v1").split("@")[1]);
  const text = await app.grayctl(["history"]);
  assert.match(text.stdout, /^REV\s+OUTCOME\s+IMAGE/m);
  assert.match(text.stdout, /rolled-back → 1\s+sandbox\.local\/demo-app:v3@sha256:/);
});

test("a second rollback is a no-op; --to-revision goes back explicitly and rejects unknown revisions", async () => {
  const again = await app.grayctl(["rollback"]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /already rolled back; stable runs revision 1/);
  const unknown = await app.grayctl(["rollback", "--to-revision", "2"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--to-revision: revision 2 was never deployed or promoted \(released revisions: 1, 3\)/);
  const bad = await app.grayctl(["rollback", "--to-revision", "abc"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--to-revision: "abc" is not a revision number/);
  const forward = await app.grayctl(["rollback", "--to-revision", "3", "--no-wait"]);
  assert.equal(forward.code, 0, forward.stderr);
  assert.equal(stableImage(), demoImage("v3"));
});

test("no track ever had weight without ready pods", () => {
  assert.deepEqual(watcher.violations, []);
});
