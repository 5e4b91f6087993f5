// A rollout carries its own plan (issue 19, point 1; decision 025): started with
// `--set rollout.steps=…`, it pauses at 50 %; `grayctl promote` without that
// --set, with grayctl.yaml's different steps, continues to 100 %, never back to
// the file's 25 %, and names the difference in a warning. The weights are the
// ones the router was given (the canary Ingress's annotation, watched through
// every change). A record from an older grayctl, which holds no plan, still
// never takes traffic back.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { demoImage, eventually, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";
import { type TrafficWatcher, watchTraffic } from "../helpers/traffic-watcher.ts";

// The file's steps are the defaults, 5 → 10 → 25 → 50 → 100, as in the issue.
const CONFIG = `app: ledger
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: ledger.local
rollout:
  interval: 1s
  readyTimeout: 20s
`;
const SET_STEPS = ["--set", "rollout.steps=[20,{weight: 50, pause: manual},100]"];

let app: SandboxApp;
let watcher: TrafficWatcher;
before(async () => {
  app = await startSandboxApp(CONFIG);
  watcher = watchTraffic(app.sandbox.store, app.namespace, "ledger");
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr + first.stdout);
});
after(async () => {
  watcher.stop();
  await app?.stop();
});

const editState = (change: (data: Record<string, string>) => void) =>
  app.mutate(R.configmaps, "ledger-grayctl", (map) => change(map.data as Record<string, string>));
const recordedPlan = () => (app.state() as { plan?: { rollout: { steps: unknown[] } } } | undefined)?.plan;

/** Starts a rollout of `image` with the --set steps and waits for its pause at 50 %. */
async function pausedAt50(image: string): Promise<void> {
  const paused = await app.grayctl(["rollout", "--image", image, ...SET_STEPS]);
  assert.equal(paused.code, 4, paused.stderr + paused.stdout);
  assert.equal(app.state()?.phase, "paused");
  assert.equal(app.state()?.weight, 50);
}

/** The weights the router was given from `from` on never go below `floor` before the rollout ends. */
function neverBelow(weights: number[], floor: number): void {
  const end = weights.indexOf(0);
  const during = end === -1 ? weights : weights.slice(0, end);
  for (const weight of during)
    assert.ok(weight >= floor, `the router was set to ${weight}% after ${floor}%: ${weights}`);
}

test("promote without the --set follows the recorded steps: 50 % → 100 %, not back to the file's 25 %, and the difference is named", async () => {
  await pausedAt50(demoImage("v2"));
  assert.deepEqual(recordedPlan()?.rollout.steps, [20, { weight: 50, pause: "manual" }, 100]);

  const status = await app.grayctl(["status"]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /steps \(at step 2 of 3, as recorded when the rollout started\):/);
  assert.match(status.stdout, /1\. 20%\n.*2\. 50%, then pause until `grayctl promote`.*\n.*3\. 100%/);
  assert.match(
    status.stderr,
    /rollout\.steps \(recorded \[20,\{"weight":50,"pause":"manual"\},100\], configured \[5,10,25,50,100\]\)/,
  );

  const from = watcher.weights.length;
  const promoted = await app.grayctl(["promote"]);
  assert.equal(promoted.code, 0, promoted.stderr + promoted.stdout);
  const after = watcher.weights.slice(from);
  neverBelow(after, 50);
  assert.ok(after.includes(100) || app.history().at(-1)?.outcome === "promoted", `weights ${after}`);
  assert.equal(app.history().at(-1)?.outcome, "promoted");
  assert.equal(app.history().at(-1)?.image, demoImage("v2"));
  assert.match(
    promoted.stderr,
    /the configuration differs from the plan recorded when the rollout of .* started: rollout\.steps/,
  );
  assert.match(promoted.stderr, /applies to the next rollout only/);
  assert.deepEqual(watcher.violations, []);
});

test("resume after grayctl.yaml was edited redoes the recorded step (50 %), not the file's step 2 (30 %); the edit is named", async () => {
  // A rollout cancelled during its 50 % window with onInterrupt: leave is what `resume` continues.
  const running = app.spawn([
    "rollout",
    "--image",
    demoImage("v3"),
    "--set",
    "rollout.steps=[20,50,100]",
    "--set",
    "rollout.interval=3s",
    "--set",
    "rollout.onInterrupt=leave",
  ]);
  await eventually("the canary at 50 %", () => app.state()?.weight === 50, 60_000);
  running.kill("SIGINT");
  const stopped = await running.done;
  assert.equal(app.state()?.phase, "interrupted", stopped.stderr);
  // Someone edits the file meanwhile: other steps, another gate window.
  // (The file as the suite wrote it: on the real control plane it names the app's own namespace.)
  const original = await readFile(app.configPath, "utf8");
  await writeFile(app.configPath, original.replace("interval: 1s", "interval: 20s\n  steps: [10, 30, 100]"));
  const from = watcher.weights.length;
  const resumed = await app.grayctl(["resume"]);
  await writeFile(app.configPath, original);
  assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
  neverBelow(watcher.weights.slice(from), 50);
  assert.equal(app.history().at(-1)?.outcome, "promoted");
  assert.match(resumed.stderr, /rollout\.interval \(recorded "3s", configured "20s"\)/);
  assert.match(resumed.stderr, /rollout\.onInterrupt \(recorded "leave", configured "rollback"\)/);
  assert.match(resumed.stderr, /rollout\.steps \(recorded \[20,50,100\], configured \[10,30,100\]\)/);
});

test("a record from an older grayctl (no plan) continues with the file's steps, says so, and still never takes traffic back", async () => {
  await pausedAt50(demoImage("v4"));
  await editState((data) => {
    const { plan: _plan, ...state } = JSON.parse(data.state);
    data.state = JSON.stringify(state);
  });
  const from = watcher.weights.length;
  const promoted = await app.grayctl(["promote"]);
  assert.equal(promoted.code, 0, promoted.stderr + promoted.stdout);
  neverBelow(watcher.weights.slice(from), 50);
  assert.equal(app.history().at(-1)?.outcome, "promoted");
  assert.match(promoted.stderr, /was recorded without its plan/);
  assert.match(promoted.stderr, /step 3\/5 \(25%\) is below the canary's 50%: skipped/);
});

test("rollback names only the recorded fields it acts on: edited steps are not its business, an edited progressDeadline is", async () => {
  await pausedAt50(demoImage("v5"));
  const quiet = await app.grayctl(["rollback"]);
  assert.equal(quiet.code, 0, quiet.stderr + quiet.stdout);
  assert.doesNotMatch(
    quiet.stderr,
    /differs from the plan recorded/,
    "the --set steps are not the rollback's business",
  );

  await pausedAt50(demoImage("v6"));
  const original = await readFile(app.configPath, "utf8");
  await writeFile(app.configPath, original.replace("interval: 1s", "interval: 1s\n  progressDeadline: 7m"));
  const named = await app.grayctl(["rollback"]);
  await writeFile(app.configPath, original);
  assert.equal(named.code, 0, named.stderr + named.stdout);
  assert.match(
    named.stderr,
    /differs from the plan recorded .*: rollout\.progressDeadline \(recorded "[^"]+", configured "7m"\)\./,
  );
  assert.doesNotMatch(named.stderr, /rollout\.steps/);
  assert.equal(app.history().at(-1)?.outcome, "rolled-back");
});
