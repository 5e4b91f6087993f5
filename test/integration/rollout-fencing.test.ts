// Fencing: a rollout process that is suspended (SIGSTOP: a closed laptop lid, a
// frozen CI runner) past its Lease, while on-call rolls back, must not act when
// it wakes up. It is held at the two writes of a promotion that would undo the
// rollback — the canary scale-up and the stable image — by watching the
// sandbox's store: the store's watch runs before the API answers the write, so
// the process stops before it can send the next one.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import type { RunningCli } from "../helpers/cli.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";
import { type TrafficWatcher, watchTraffic } from "../helpers/traffic-watcher.ts";

const LEASE_MS = 2_000;
const CONFIG = `app: shop
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: shop.local
rollout:
  steps: [50]
  interval: 2s
  readyTimeout: 10s
  progressDeadline: 2m
  leaseDuration: ${LEASE_MS / 1000}s
`;
const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";

let app: SandboxApp;
let watcher: TrafficWatcher;
const held: RunningCli[] = [];
before(async () => {
  app = await startSandboxApp(CONFIG);
  watcher = watchTraffic(app.sandbox.store, "default", "shop");
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
});
after(async () => {
  // A failed assertion must not leave a stopped process behind.
  for (const child of held) {
    child.kill("SIGCONT");
    child.kill("SIGKILL");
  }
  watcher.stop();
  await app.stop();
});

const store = () => app.sandbox.store;
const stableImage = () => store().get(R.deployments, "default", "shop")?.spec.template.spec.containers[0].image;
const canaryReplicas = () => store().get(R.deployments, "default", "shop-canary")?.spec.replicas;
const canaryWeight = () => Number(store().get(R.ingresses, "default", "shop-canary")?.metadata.annotations?.[WEIGHT]);
const lastLine = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type State = { phase?: string; weight?: number };

/** Starts a rollout and SIGSTOPs it the moment the state it records matches `at`. */
function rolloutHeldAt(image: string, at: (state: State) => boolean): { child: RunningCli; stopped: Promise<void> } {
  const child = app.spawn(["rollout", "--image", image, "-o", "json"]);
  held.push(child);
  const stopped = new Promise<void>((resolve) => {
    const stop = store().watch(R.configmaps, "default", undefined, (event) => {
      const raw = (event.object.data as Record<string, string> | undefined)?.state;
      if (event.object.metadata.name !== "shop-grayctl" || !raw || !at(JSON.parse(raw))) return;
      child.kill("SIGSTOP");
      stop();
      resolve();
    });
  });
  return { child, stopped };
}

/** Writes that change what serves traffic or what is recorded (controllers' status updates excluded). */
function recordWrites() {
  const writes: string[] = [];
  const generation = new Map<string, number>();
  for (const d of store().list(R.deployments, "default"))
    generation.set(d.metadata.name ?? "", d.metadata.generation ?? 0);
  const stops = [R.ingresses, R.configmaps, R.leases, R.events].map((type) =>
    store().watch(type, "default", undefined, (event) => writes.push(`${type.kind} ${event.object.metadata.name}`)),
  );
  stops.push(
    store().watch(R.deployments, "default", undefined, (event) => {
      const name = event.object.metadata.name ?? "";
      const next = event.object.metadata.generation ?? 0;
      if (next !== generation.get(name)) writes.push(`Deployment ${name} spec (generation ${next})`);
      generation.set(name, next);
    }),
  );
  return {
    writes,
    stop: () => {
      for (const stop of stops) stop();
    },
  };
}

const variants: [string, string, (state: State) => boolean][] = [
  [
    "right after it records the promotion's weight 100 (before the stable image write)",
    "v2",
    (s) => s.phase === "promoting" && s.weight === 100,
  ],
  ["just before the promotion's canary scale-up", "v3", (s) => s.phase === "promoting" && s.weight !== 100],
];

for (const [where, tag, at] of variants) {
  test(`a rollout held ${where} past its Lease, then \`grayctl rollback\`: on SIGCONT it writes nothing and exits superseded`, async () => {
    const { child, stopped } = rolloutHeldAt(demoImage(tag), at);
    await stopped;
    // Long enough that the Lease has lapsed by any measure, this test's clock included.
    await sleep(LEASE_MS + 500);

    const rollback = await app.grayctl(["rollback", "--reason", "held rollout", "-o", "json"]);
    assert.equal(rollback.code, 0, rollback.stderr + rollback.stdout);
    assert.equal(lastLine(rollback.stdout).outcome, "rolled-back");
    assert.equal(stableImage(), demoImage("v1"));
    assert.equal(canaryReplicas(), 0);
    assert.equal(canaryWeight(), 0);

    const recorder = recordWrites();
    child.kill("SIGCONT");
    const woken = await child.done;
    // Give a process that failed to stop no further chance to hide a late write.
    await sleep(1_000);
    recorder.stop();

    assert.equal(woken.code, 3, woken.stderr + woken.stdout);
    const outcome = lastLine(woken.stdout);
    assert.equal(outcome.outcome, "superseded");
    assert.match(outcome.message, /^superseded by rollback \(test-runner\)/);
    assert.deepEqual(recorder.writes, [], "the woken process wrote nothing");
    assert.equal(stableImage(), demoImage("v1"), "stable stays on v1");
    assert.equal(canaryReplicas(), 0, "the canary stays at 0 replicas");
    assert.equal(canaryWeight(), 0, "traffic stays on stable");
    assert.equal(app.state()?.phase, "rolled-back");
    assert.equal(app.history().at(-1)?.outcome, "rolled-back");
  });
}

test("a rollout held right after it took its Lease, before it recorded anything, past its Lease: on SIGCONT it writes nothing and exits 6 saying nothing was changed (found by the crash campaign: it exited 1, an internal error)", async () => {
  const before = stableImage();
  const recordBefore = app.state();
  const child = app.spawn(["rollout", "--image", demoImage("v4"), "-o", "json"]);
  held.push(child);
  await new Promise<void>((resolve) => {
    const stop = store().watch(R.leases, "default", undefined, (event) => {
      if (!String(event.object.spec?.holderIdentity ?? "").includes(`/${child.pid}/`)) return;
      child.kill("SIGSTOP");
      stop();
      resolve();
    });
  });
  await sleep(LEASE_MS + 500);

  const recorder = recordWrites();
  child.kill("SIGCONT");
  const woken = await child.done;
  await sleep(500);
  recorder.stop();

  assert.equal(woken.code, 6, woken.stderr + woken.stdout);
  const outcome = lastLine(woken.stdout);
  assert.equal(outcome.outcome, "lease-lost");
  assert.match(
    outcome.message,
    /^lost the rollout lock \(the rollout lock was last renewed [\d.]+s ago by this process's clock, beyond its renew deadline of 1\.3s\) before the rollout of \S+v4\S+ began: nothing was changed; run it again$/,
  );
  assert.deepEqual(recorder.writes, [], "the woken process wrote nothing");
  assert.equal(stableImage(), before);
  assert.deepEqual(app.state(), recordBefore, "the record is untouched");
});

test("no track ever had weight without ready pods", () => {
  assert.deepEqual(watcher.violations, []);
});
