// Replacing a rollout in flight: the input checks come before the Lease (a
// refused `rollout --force` leaves the live rollout alone), and `--supersede`
// records what stable runs after the old rollout was rolled back, never an
// image that was itself rolled back.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import type { RunningCli } from "../helpers/cli.ts";
import { demoImage, eventually, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";
import { type TrafficWatcher, watchTraffic } from "../helpers/traffic-watcher.ts";

const CONFIG = `app: deli
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: deli.local
rollout:
  steps: [10, 50, 100]
  interval: 2s
  readyTimeout: 10s
  progressDeadline: 2m
  leaseDuration: 4s
`;

let app: SandboxApp;
let watcher: TrafficWatcher;
const running: RunningCli[] = [];
before(async () => {
  app = await startSandboxApp(CONFIG);
  watcher = watchTraffic(app.sandbox.store, "default", "deli");
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
});
after(async () => {
  for (const child of running) child.kill("SIGKILL");
  watcher.stop();
  await app.stop();
});

const store = () => app.sandbox.store;
const stableImage = () => store().get(R.deployments, "default", "deli")?.spec.template.spec.containers[0].image;
const lastLine = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
type State = { owner?: string; image?: string; previousImage?: string; phase?: string };
const state = () => app.state() as State | undefined;

test("`rollout --force --image OTHER` without --supersede exits 2 before taking the Lease: the live rollout keeps its Lease and state", async () => {
  const live = app.spawn(["rollout", "--image", demoImage("v2"), "-o", "json"]);
  running.push(live);
  await eventually("the rollout at its first step", () => app.state()?.weight === 10, 60_000);
  const owner = state()?.owner;
  const holders: string[] = [];
  const stop = store().watch(R.leases, "default", undefined, (event) =>
    holders.push(event.object.spec?.holderIdentity ?? ""),
  );

  const refused = await app.grayctl(["rollout", "--force", "--image", demoImage("v3")]);
  stop();
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(
    refused.stderr,
    /a rollout of \S+v2\S+ is in flight \(progressing, step 1, weight 10%\)[\s\S]*--supersede/,
  );
  assert.deepEqual([...new Set(holders)], holders.length > 0 ? [owner] : [], "only the live rollout wrote the Lease");
  assert.equal(store().get(R.leases, "default", "deli-grayctl")?.spec.holderIdentity, owner);
  assert.equal(state()?.owner, owner);
  assert.equal(state()?.image, demoImage("v2"));

  const result = await live.done;
  assert.equal(result.code, 0, result.stderr);
  assert.equal(lastLine(result.stdout).outcome, "promoted");
  assert.equal(stableImage(), demoImage("v2"));
});

test("`--supersede` after a promotion killed past its stable write records the stable image it rolled back to, not the rolled-back one", async () => {
  const killed = app.spawn(["rollout", "--image", demoImage("v3")]);
  running.push(killed);
  const stop = store().watch(R.deployments, "default", undefined, (event) => {
    if (event.object.metadata.name !== "deli") return;
    if (event.object.spec?.template?.spec?.containers?.[0]?.image === demoImage("v3")) killed.kill("SIGKILL");
  });
  await killed.done;
  stop();
  assert.equal(stableImage(), demoImage("v3"), "killed right after stable was set to v3");
  assert.equal(state()?.phase, "promoting");

  const superseding = app.spawn(["rollout", "--image", demoImage("v4"), "--supersede", "-o", "json"]);
  running.push(superseding);
  await eventually("the rollout of v4 under way", () => state()?.image === demoImage("v4") || undefined, 60_000);
  assert.equal(state()?.previousImage, demoImage("v2"), "stable was rolled back to v2 before v4 started");
  const result = await superseding.done;
  assert.equal(result.code, 0, result.stderr);
  assert.equal(lastLine(result.stdout).outcome, "promoted");
  const history = app.history() as { image: string; outcome: string; previousImage?: string }[];
  assert.deepEqual(
    history.slice(-2).map((h) => [h.outcome, h.image, h.previousImage]),
    [
      ["rolled-back", demoImage("v3"), demoImage("v2")],
      ["promoted", demoImage("v4"), demoImage("v2")],
    ],
  );
  assert.equal(stableImage(), demoImage("v4"));
});

test("no track ever had weight without ready pods", () => {
  assert.deepEqual(watcher.violations, []);
});
