// The replicas router: no routing object; one Service selects both tracks and
// the split follows the ready pods. The output says when a weight cannot be met.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const CONFIG = `app: api
deployment:
  replicas: 4
traffic:
  router: replicas
rollout:
  steps: [5, 50, 100]
  interval: 1s
  readyTimeout: 8s
`;

let app: SandboxApp;
before(async () => {
  app = await startSandboxApp(CONFIG);
});
after(async () => {
  await app.stop();
});

test("replicas router: canary pods follow the steps, the effective split is reported, then promoted", async () => {
  assert.equal((await app.grayctl(["rollout", "--image", demoImage("v1")])).code, 0);
  const canaryScale: number[] = [];
  const stop = app.sandbox.store.watch(R.deployments, app.namespace, undefined, (event) => {
    if (event.object.metadata.name !== "api-canary") return;
    const replicas = event.object.spec.replicas as number;
    if (canaryScale.at(-1) !== replicas) canaryScale.push(replicas);
  });
  const result = await app.grayctl(["rollout", "--image", demoImage("v2"), "-o", "json"]);
  stop();
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const events = result.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  const steps = events.filter((e) => e.type === "step");
  assert.deepEqual(
    steps.map((s) => [s.weight, s.effectiveWeight, s.canaryReplicas]),
    [
      [5, 20, 1],
      [50, 50, 4],
      [100, 50, 4],
    ],
  );
  assert.ok(app.sandbox.store.get(R.ingresses, app.namespace, "api") === undefined, "no Ingress is created");
  assert.equal(
    app.sandbox.store.get(R.services, app.namespace, "api")?.spec.selector.track,
    undefined,
    "the app Service selects both tracks",
  );
  assert.deepEqual(canaryScale.slice(-2), [4, 0], "scaled to full for promotion, then to 0");
  assert.equal(
    app.sandbox.store.get(R.deployments, app.namespace, "api")?.spec.template.spec.containers[0].image,
    demoImage("v2"),
  );
  const manual = ["--set", "rollout.steps=[{weight: 5, pause: manual}, 100]"];
  const text = await app.grayctl(["rollout", "--image", demoImage("v3"), ...manual]);
  assert.equal(text.code, 4, text.stderr);
  assert.match(text.stderr, /step 1\/2: 5% to canary \(the replica ratio gives 20%: 1 canary \/ 4 stable pods\)/);
  const status = await app.grayctl(["status", "-o", "json"]);
  const view = status.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line))
    .find((e) => e.type === "status");
  assert.equal(view.canaryWeight, 20, "status reports the split the pods give, not the requested 5 %");
  assert.equal((await app.grayctl(["promote"])).code, 0);
});
