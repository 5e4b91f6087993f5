// rollout.scaleDownDelay is a wait between the route write and the scale-down:
// interrupted by Ctrl-C it leaves the rollback recorded as in progress with
// traffic on stable, which a later `grayctl rollback` finishes; a takeover
// during a promotion's wait ends the first process without another write, and
// the rollback that took over finishes the job.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { demoImage, eventually, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const CONFIG = `app: delay
deployment:
  replicas: 2
traffic:
  router: nginx
  host: delay.local
rollout:
  steps: [{ weight: 50, pause: manual }, 100]
  interval: 1s
  readyTimeout: 30s
  leaseDuration: 3s
  scaleDownDelay: 30s
`;
const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";
// 30 s: long enough to interrupt or take over a process in its wait, short enough to sit through —
// a rollback follows the plan recorded when the rollout started (issue 19.1, decision 025), so a
// `--set rollout.scaleDownDelay=0s` on the command line would not shorten it.

let app: SandboxApp;
before(async () => {
  app = await startSandboxApp(CONFIG);
  assert.equal((await app.grayctl(["rollout", "--image", demoImage("v1")])).code, 0);
});
after(() => app?.stop());

const store = () => app.sandbox.store;
const canaryReplicas = () => store().get(R.deployments, app.namespace, "delay-canary")?.spec.replicas;
const canaryWeight = () => store().get(R.ingresses, app.namespace, "delay-canary")?.metadata.annotations?.[WEIGHT];
const stableImage = () => store().get(R.deployments, app.namespace, "delay")?.spec.template.spec.containers[0].image;

test("Ctrl-C during the delay: traffic already on stable, the rollback recorded as in progress; `rollback` again finishes it", async () => {
  const paused = await app.grayctl(["rollout", "--image", demoImage("v2")]);
  assert.equal(paused.code, 4, paused.stderr);
  assert.equal(canaryReplicas(), 1);
  const rollback = app.spawn(["rollback"]);
  await eventually("the rollback to wait rollout.scaleDownDelay", () =>
    /rollout\.scaleDownDelay/.test(rollback.output().stderr) ? true : undefined,
  );
  assert.equal(canaryWeight(), "0", "the route to stable came first, without waiting");
  rollback.kill("SIGINT");
  const interrupted = await rollback.done;
  // The first Ctrl-C stops a rollback at once (issue 19): 130, saying how to finish it.
  assert.equal(interrupted.code, 130, interrupted.stderr);
  assert.match(interrupted.stdout + interrupted.stderr, /stopped by SIGINT.*`grayctl rollback` finishes a rollback/);
  await app.grayctl(["status"]); // lets the real cluster's mirror catch up
  assert.equal(app.state()?.phase, "rolling-back");
  assert.equal(canaryReplicas(), 1, "the interrupted wait scaled nothing down");

  const finished = await app.grayctl(["rollback"]);
  assert.equal(finished.code, 0, finished.stderr);
  assert.equal(app.state()?.phase, "rolled-back");
  assert.equal(canaryReplicas(), 0);
  assert.equal(stableImage(), demoImage("v1"));
});

test("a takeover during the promotion's delay: the first process stops without writing; the rollback finishes", async () => {
  const promoting = app.spawn(["rollout", "--image", demoImage("v3"), "--set", "rollout.steps=[50, 100]"]);
  await eventually(
    "the promotion to wait rollout.scaleDownDelay",
    () => (/rollout\.scaleDownDelay/.test(promoting.output().stderr) ? true : undefined),
    60_000,
  );
  assert.equal(canaryWeight(), "100");
  const rollback = await app.grayctl(["rollback", "--force"]);
  assert.equal(rollback.code, 0, rollback.stderr);
  const first = await promoting.done;
  assert.equal(first.code, 3, first.stderr);
  assert.match(first.stdout + first.stderr, /superseded|took over|rollback \(test-runner\)/);
  assert.equal(app.state()?.phase, "rolled-back");
  assert.equal(canaryReplicas(), 0);
  assert.equal(canaryWeight(), "0");
  assert.equal(stableImage(), demoImage("v1"), "stable was never given v3");
});
