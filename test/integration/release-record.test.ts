// issue 22: the release record. Which wave each target of a release reached is
// kept in a ConfigMap in the record target's namespace, so that a release whose
// process was SIGKILLed continues from its wave when run again, and one release
// of an app runs at a time. Two sandboxes, the built grayctl run as a user would;
// the record and each target's Deployments are read from the sandboxes' stores.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Sandbox } from "../../sandbox/index.ts";
import { R } from "../../sandbox/resources.ts";
import { jsonEvents } from "../helpers/cli.ts";
import { demoImage, eventually } from "../helpers/sandbox-app.ts";
import { startTargetSandboxes, type TargetSandboxes } from "../helpers/target-sandboxes.ts";

let targets: TargetSandboxes;
let a: Sandbox;
let b: Sandbox;

before(async () => {
  targets = await startTargetSandboxes(["a", "b"]);
  ({ a, b } = targets.sandboxes);
});

after(() => targets?.stop());

// Steps slow enough (2 s) that a kill lands while b's canary is in flight.
const config = (extra = "") => `app: shop
deployment: { replicas: 1 }
rollout: { steps: [25, 50, 100], interval: 2s, readyTimeout: 6s, progressDeadline: 1m, scaleDownDelay: 0s }
targets:
  - { name: a, context: a }
  - { name: b, context: b }
waves:
  - { targets: [a], bake: 1s }
  - { targets: [b] }
${extra}`;

const stableImage = (sandbox: Sandbox) =>
  sandbox.store.get(R.deployments, "default", "shop")?.spec.template.spec.containers[0].image;
const generation = (sandbox: Sandbox) => sandbox.store.get(R.deployments, "default", "shop")?.metadata.generation;
const record = (sandbox: Sandbox = a) => {
  const map = sandbox.store.get(R.configmaps, "default", "shop-grayctl-release");
  return map ? JSON.parse((map.data as { release: string }).release) : undefined;
};
const result = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1)!);

/** A release left running until b's canary has taken its first step, then SIGKILLed. */
async function killedInWave2(image: string): Promise<void> {
  const running = targets.spawn(config(), ["rollout", "--image", image, "-o", "json"]);
  await eventually("b's first step", () =>
    jsonEvents(running.output().stdout).some((e) => e.type === "step" && e.target === "b"),
  );
  running.kill("SIGKILL");
  await running.done;
}

test("the release record says which wave each target reached, with which image", async () => {
  const run = await targets.grayctl(config(), ["rollout", "--image", demoImage("v1"), "-o", "json"]);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const first = record();
  assert.equal(first.status, "promoted");
  assert.equal(first.image, demoImage("v1"));
  assert.equal(first.wave, 2);
  assert.deepEqual(
    Object.fromEntries(
      Object.entries(first.targets).map(([name, entry]) => [name, (entry as { rollout: string }).rollout]),
    ),
    { a: "deployed", b: "deployed" },
  );
  assert.ok(first.targets.a.reachedAt && first.targets.b.reachedAt, JSON.stringify(first.targets));
  // With which revision: each target's own, the number its `grayctl history` shows.
  const lastRevision = (sandbox: Sandbox) =>
    JSON.parse((sandbox.store.mustGet(R.configmaps, "default", "shop-grayctl").data as { history: string }).history).at(
      -1,
    ).revision;
  assert.deepEqual([first.targets.a.revision, first.targets.b.revision], [lastRevision(a), lastRevision(b)]);
  assert.equal(typeof first.targets.a.revision, "number");
  assert.equal(result(run.stdout).release, first.id, "the result names the release");
  assert.equal(record(b), undefined, "kept in the record target only");
  const second = await targets.grayctl(config(), ["rollout", "--image", demoImage("v2"), "-o", "json"]);
  assert.equal(second.code, 0, second.stderr + second.stdout);
  assert.equal(record().image, demoImage("v2"));
  assert.deepEqual(
    record().previous.map((entry: { id: string; status: string }) => [entry.id, entry.status]),
    [[first.id, "promoted"]],
  );
  // status --all and history --all say where the release as a whole got to.
  const status = await targets.grayctl(config(), ["status", "--all"]);
  assert.equal(status.code, 0, status.stderr + status.stdout);
  assert.match(
    status.stdout,
    new RegExp(`^shop: release ${record().id} of ${escapeRegex(demoImage("v2"))}: promoted in wave 2/2`),
  );
  const json = result((await targets.grayctl(config(), ["status", "--all", "-o", "json"])).stdout);
  assert.deepEqual([json.release.id, json.release.status, json.release.wave], [record().id, "promoted", 2]);
  const history = await targets.grayctl(config(), ["history", "--all", "-o", "json"]);
  assert.deepEqual(
    result(history.stdout).releases.map((entry: { id: string }) => entry.id),
    [record().id, first.id],
    "newest first",
  );
});

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

test("a release SIGKILLed in wave 2 continues from wave 2 when run again: wave 1 is not redone", async () => {
  await killedInWave2(demoImage("v3"));
  const cut = record();
  assert.equal(cut.status, "running");
  assert.equal(cut.wave, 2);
  assert.equal(cut.targets.a.rollout, "promoted");
  assert.equal(stableImage(a), demoImage("v3"));
  const status = await targets.grayctl(config(), ["status", "--all"]);
  assert.match(
    status.stdout,
    new RegExp(
      `release ${cut.id} of \\S+: cut short in wave 2/2 .*\`grayctl rollout --image ${escapeRegex(demoImage("v3"))}\` continues it`,
    ),
  );
  const aGeneration = generation(a);

  const rerun = await targets.grayctl(config(), ["rollout", "--image", demoImage("v3"), "-o", "json"]);
  assert.equal(rerun.code, 0, rerun.stderr + rerun.stdout);
  const events = jsonEvents(rerun.stdout);
  const continued = events.find((e) => e.type === "release-continued");
  assert.deepEqual(continued && [continued.wave, continued.reached], [2, ["a"]], rerun.stdout);
  assert.deepEqual(
    events.filter((e) => e.target === "a").map((e) => e.type),
    [],
    "nothing was done in target a",
  );
  assert.equal(generation(a), aGeneration, "a's Deployment was not written");
  assert.equal(result(rerun.stdout).outcome, "promoted");
  assert.equal(stableImage(b), demoImage("v3"));
  assert.equal(b.store.get(R.deployments, "default", "shop-canary")?.spec.replicas ?? 0, 0);
  assert.equal(record().status, "promoted");
  assert.equal(record().id, cut.id, "the same release, continued");
});

test("a continued release that fails in wave 2 still rolls wave 1 back (onWaveFailure: rollback)", async () => {
  await killedInWave2(demoImage("v4"));
  assert.equal(stableImage(a), demoImage("v4"));
  const running = targets.spawn(config(), ["rollout", "--image", demoImage("v4"), "-o", "json"]);
  await eventually("b's step in the re-run", () =>
    jsonEvents(running.output().stdout).some((e) => e.type === "step" && e.target === "b"),
  );
  running.kill("SIGINT");
  const run = await running.done;
  assert.equal(run.code, 3, run.stderr + run.stdout);
  const ended = result(run.stdout);
  assert.equal(ended.outcome, "rolled-back");
  assert.deepEqual(ended.targets.a, { wave: 1, rollout: "promoted", rollback: "rolled-back" });
  assert.equal(stableImage(a), demoImage("v3"), "a is back on the release before this one");
  assert.equal(stableImage(b), demoImage("v3"));
  assert.equal(record().status, "rolled-back");
  assert.equal(record().targets.a.rollback, "rolled-back");
});

test("a release of another image after one cut short is refused until --supersede, then starts at wave 1", async () => {
  await killedInWave2(demoImage("v5"));
  const cut = record();
  const before = [generation(a), generation(b)];
  const refused = await targets.grayctl(config(), ["rollout", "--image", demoImage("v6")]);
  assert.equal(refused.code, 2, refused.stderr + refused.stdout);
  assert.match(refused.stderr, new RegExp(`release ${cut.id} of ${demoImage("v5")} was cut short in wave 2`));
  assert.match(refused.stderr, /grayctl rollback --all/);
  assert.match(refused.stderr, /--supersede/);
  assert.deepEqual([generation(a), generation(b)], before, "nothing was changed");
  assert.equal(record().id, cut.id);

  const run = await targets.grayctl(config(), ["rollout", "--image", demoImage("v6"), "--supersede", "-o", "json"]);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.ok(!jsonEvents(run.stdout).some((e) => e.type === "release-continued"));
  assert.equal(record().previous[0].id, cut.id);
  assert.equal(record().previous[0].status, "running");
  assert.equal(stableImage(a), demoImage("v6"));
  assert.equal(stableImage(b), demoImage("v6"));
});

test("one release of an app at a time: a second one is refused (exit 5) and changes nothing", async () => {
  const running = targets.spawn(config(), ["rollout", "--image", demoImage("v7"), "-o", "json"]);
  await eventually("a's first step", () =>
    jsonEvents(running.output().stdout).some((e) => e.type === "step" && e.target === "a"),
  );
  const status = await targets.grayctl(config(), ["status", "--all"]);
  assert.match(status.stdout, /: running, wave 1\/2 \(by test-runner/);
  const second = await targets.grayctl(config(), ["rollout", "--image", demoImage("v8")]);
  assert.equal(second.code, 5, second.stderr + second.stdout);
  assert.match(
    second.stderr,
    /a release of shop is running \(its lock is Lease default\/shop-grayctl-release in target a\)/,
  );
  assert.doesNotMatch(second.stderr, /\n\s+at /, "no stack trace");
  running.kill("SIGINT");
  await running.done;
  assert.equal(stableImage(b), demoImage("v6"), "b untouched by either");
});

test("the guard, run in wave 2's cluster, rolls back the canary the killed release left there; a re-run then finishes the release", async () => {
  await killedInWave2(demoImage("v11"));
  assert.ok((b.store.get(R.deployments, "default", "shop-canary")?.spec.replicas ?? 0) > 0, "b's canary is up");
  const guard = await targets.grayctl("app: unused\n", [
    "--context",
    "b",
    "-n",
    "default",
    "-o",
    "json",
    "guard",
    "--grace",
    "1s",
  ]);
  assert.equal(guard.code, 0, guard.stderr + guard.stdout);
  assert.equal(b.store.get(R.deployments, "default", "shop-canary")?.spec.replicas ?? 0, 0, "b's canary scaled down");
  assert.equal(stableImage(b), demoImage("v6"), "b back on its stable release");
  assert.equal(stableImage(a), demoImage("v11"), "the guard acts in its own cluster only");
  const rerun = await targets.grayctl(config(), ["rollout", "--image", demoImage("v11"), "-o", "json"]);
  assert.equal(rerun.code, 0, rerun.stderr + rerun.stdout);
  assert.equal(jsonEvents(rerun.stdout).find((e) => e.type === "release-continued")?.wave, 2);
  assert.equal(stableImage(b), demoImage("v11"));
});

test("a target whose API server goes down mid-release fails its wave safe and is named; wave 1 goes back by the policy", async () => {
  // b's Kubernetes API resets every connection from its first canary step on (rollout-outage's "API server down").
  const running = targets.spawn(
    config().replace("{ name: b, context: b }", "{ name: b, context: b, set: { rollout.progressDeadline: 8s } }"),
    ["rollout", "--image", demoImage("v12"), "-o", "json"],
    { GRAYCTL_TEST_REQUEST_TIMEOUT_MS: "1000", GRAYCTL_TEST_CALL_BUDGET_MS: "2000" },
  );
  await eventually("b's first step", () =>
    jsonEvents(running.output().stdout).some((e) => e.type === "step" && e.target === "b"),
  );
  b.faults.set([{ name: "down", action: { type: "reset" } }]);
  const run = await running.done;
  b.faults.clear();
  assert.equal(run.code, 6, run.stderr + run.stdout);
  const ended = result(run.stdout);
  assert.equal(ended.outcome, "rolled-back");
  assert.match(ended.reason, /wave 2 failed: target b: /);
  assert.match(ended.reason, /not reached, left as they were: b/);
  assert.match(ended.reason, /wave 2 failed: target b: its Kubernetes API stopped answering/);
  assert.deepEqual(ended.targets.a, { wave: 1, rollout: "promoted", rollback: "rolled-back" });
  assert.equal(stableImage(a), demoImage("v11"), "a back on its previous release");
  // a went back at the outage, not when b's engine gave up at its progress deadline.
  const events = jsonEvents(run.stdout);
  const aBack = events.findIndex((e) => e.type === "target-rolled-back" && e.target === "a");
  const bGaveUp = events.findIndex((e) => e.type === "target-result" && e.target === "b");
  assert.ok(aBack >= 0 && bGaveUp > aBack, `a rolled back (${aBack}) before b's engine ended (${bGaveUp})`);
  // Once b's API answers again, rollback --all finishes what the outage left there.
  const rollback = await targets.grayctl(config(), ["rollback", "--all"]);
  assert.equal(rollback.code, 0, rollback.stderr + rollback.stdout);
  assert.equal(b.store.get(R.deployments, "default", "shop-canary")?.spec.replicas ?? 0, 0);
  assert.equal(stableImage(b), demoImage("v11"));
});

test("an unreadable release record is refused, naming it and what to do, before any target is touched", async () => {
  const map = a.store.get(R.configmaps, "default", "shop-grayctl-release")!;
  a.store.update(R.configmaps, "default", { ...map, data: { release: "{not json" } });
  const before = [generation(a), generation(b)];
  const run = await targets.grayctl(config(), ["rollout", "--image", demoImage("v9")]);
  assert.equal(run.code, 2, run.stderr + run.stdout);
  assert.match(run.stderr, /ConfigMap default\/shop-grayctl-release: its release record is not JSON/);
  assert.match(run.stderr, /kubectl delete configmap shop-grayctl-release -n default/);
  assert.deepEqual([generation(a), generation(b)], before);
});
