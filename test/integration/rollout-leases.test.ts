// Leases judged by what a process observes, never by comparing its clock with
// the holder's: a process whose clock runs ahead cannot take a live Lease, and
// `status` calls a rollout orphaned only once it has watched its Lease lapse
// (or its holder ran on this machine and is gone).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import type { RunningCli } from "../helpers/cli.ts";
import { demoImage, eventually, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";
import { type TrafficWatcher, watchTraffic } from "../helpers/traffic-watcher.ts";

/** The Lease's duration in seconds: long enough that a loaded machine still renews within its renew deadline (2/3 of it). */
const LEASE = 4;
const CONFIG = `app: till
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: till.local
rollout:
  steps: [10, 50, 100]
  interval: 2s
  readyTimeout: 10s
  progressDeadline: 2m
  leaseDuration: ${LEASE}s
`;

let app: SandboxApp;
let watcher: TrafficWatcher;
const running: RunningCli[] = [];
before(async () => {
  app = await startSandboxApp(CONFIG);
  watcher = watchTraffic(app.sandbox.store, "default", "till");
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
});
after(async () => {
  for (const child of running) {
    child.kill("SIGCONT");
    child.kill("SIGKILL");
  }
  watcher.stop();
  await app.stop();
});

const lines = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
const holder = () => app.sandbox.store.get(R.leases, "default", "till-grayctl")?.spec.holderIdentity;
const stableImage = () =>
  app.sandbox.store.get(R.deployments, "default", "till")?.spec.template.spec.containers[0].image;

for (const skew of [45_000, 60_000]) {
  test(`a process whose clock runs ${skew / 1000}s ahead cannot take a live Lease without --force`, async () => {
    const tag = skew === 45_000 ? "v2" : "v3";
    const live = app.spawn(["rollout", "--image", demoImage(tag), "-o", "json"]);
    running.push(live);
    await eventually("the rollout at its first step", () => app.state()?.weight === 10, 60_000);
    const owner = holder();
    assert.match(owner ?? "", /^test-runner@/);

    const ahead = { GRAYCTL_TEST_CLOCK_SKEW_MS: String(skew) };
    // Only `rollout` here: `rollback` takes a rollout in flight over whatever the Lease says
    // (issue 19; operate-rollback-takeover.test.ts), so no clock is judged there.
    for (const args of [["rollout", "--image", demoImage(tag)]]) {
      const refused = await app.grayctl(args, { env: ahead });
      assert.equal(refused.code, 5, `${args[0]}: ${refused.stderr}${refused.stdout}`);
      assert.match(
        refused.stderr,
        new RegExp(
          `holds the rollout lock of till: test-runner@\\S+ \\(renewed -?\\d+s ago by its clock, seen renewing from here; if it stops renewing, its Lease expires ${LEASE}s after its last renewal\\)`,
        ),
      );
      assert.match(refused.stderr, /--force is for a holder whose process is dead or hung/);
      assert.equal(holder(), owner, `${args[0]} left the Lease with its holder`);
    }

    const result = await live.done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(lines(result.stdout).at(-1).outcome, "promoted");
    assert.equal(stableImage(), demoImage(tag));
  });
}

test("a hung holder: `status` does not call it orphaned at a glance, `status --watch` does once it watched the Lease lapse; rollback then takes it over, naming it", async () => {
  const hung = app.spawn(["rollout", "--image", demoImage("v4"), "-o", "json"]);
  running.push(hung);
  await eventually("the rollout at its first step", () => app.state()?.weight === 10, 60_000);
  hung.kill("SIGSTOP");
  // Its renewTime is soon seconds old by this machine's clock; status must not judge by that.
  await new Promise((resolve) => setTimeout(resolve, LEASE * 1000 + 500));

  const glance = await app.grayctl(["status", "-o", "json"]);
  assert.equal(glance.code, 0, glance.stderr);
  const view = lines(glance.stdout).find((e) => e.type === "status");
  assert.equal(view.orphaned, false);
  assert.equal(view.lease.basis, "unconfirmed");
  const text = await app.grayctl(["status"]);
  assert.match(
    text.stdout,
    new RegExp(
      `lock: test-runner@\\S+ \\(renewed \\d+s ago by its clock; if its process is gone, \`grayctl status --watch\` tells within ${LEASE}s`,
    ),
  );

  const watched = await app.grayctl([
    "status",
    "--watch",
    "--interval",
    "200ms",
    "--timeout",
    `${2 * LEASE}s`,
    "-o",
    "json",
  ]);
  assert.equal(watched.code, 6, watched.stderr);
  const views = lines(watched.stdout).filter((e) => e.type === "status");
  assert.equal(views[0].orphaned, false);
  assert.equal(views.at(-1).orphaned, true, `orphaned once the Lease was watched unchanged for ${LEASE} s`);
  assert.equal(views.at(-1).lease.basis, "lapsed");

  const rollback = await app.grayctl(["rollback", "-o", "json"]);
  assert.equal(rollback.code, 0, rollback.stderr + rollback.stdout);
  // A rollout in flight is taken over at once, not watched first (issue 19), and its holder named.
  assert.match(rollback.stdout, /took the rollout lock over from test-runner on \S+ \(pid \d+\)/);
  hung.kill("SIGCONT");
  const woken = await hung.done;
  assert.equal(woken.code, 3, woken.stderr);
  assert.equal(lines(woken.stdout).at(-1).outcome, "superseded");
  assert.equal(app.state()?.phase, "rolled-back");
});

test("a holder whose renewals keep failing stops writing before its Lease could be taken; once it can write its Lease again it takes it back (nobody took it) and rolls back, the route to stable first", async () => {
  const stableBefore = stableImage();
  // Every Lease write from the start: the last renewal before the failures may be the one that took it.
  const leaseWrites: number[] = [];
  const stopLeaseWatch = app.sandbox.store.watch(R.leases, "default", undefined, () => leaseWrites.push(Date.now()));
  const starved = app.spawn(["rollout", "--image", demoImage("v5"), "-o", "json"]);
  running.push(starved);
  await eventually("the rollout at its first step", () => app.state()?.weight === 10, 60_000);
  const writes: { at: number; what: string }[] = [];
  const stops = [R.ingresses, R.configmaps, R.events].map((type) =>
    app.sandbox.store.watch(type, "default", undefined, (event) =>
      writes.push({ at: Date.now(), what: `${type.kind} ${event.object.metadata.name}` }),
    ),
  );
  stops.push(stopLeaseWatch);
  app.sandbox.faults.set([
    { name: "renewals", verbs: ["update"], path: "/leases/", action: { type: "error", code: 500 } },
  ]);
  await eventually(
    "the holder saying it stopped",
    () => /could not renew the rollout lock in time/.test(starved.output().stdout),
    20_000,
  ).catch((error) => {
    throw new Error(`${error.message}\n${starved.output().stdout}${starved.output().stderr}`);
  });
  // Beyond the Lease's duration: by now anyone watching the Lease could have taken it.
  await new Promise((resolve) => setTimeout(resolve, LEASE * 1000 + 1000));
  const cleared = Date.now();
  app.sandbox.faults.clear();
  const result = await starved.done;
  for (const stop of stops) stop();

  assert.equal(result.code, 3, result.stderr + result.stdout);
  const outcome = lines(result.stdout).at(-1);
  assert.equal(outcome.outcome, "rolled-back");
  assert.match(
    outcome.message,
    /the rollout lock lapsed \(the rollout lock was last renewed [\d.]+s ago by this process's clock, beyond its renew deadline of 2\.7s\); nobody could watch the canary/,
  );
  assert.match(result.stdout, /took the rollout lock back/);
  // Its last renewal that landed before the failures, and the write that took the Lease back:
  // nobody could take the Lease earlier than its duration after the first, and nothing was written between.
  const lastRenewal = Math.max(...leaseWrites.filter((at) => at < cleared));
  const regained = Math.min(...leaseWrites.filter((at) => at >= cleared));
  assert.deepEqual(
    writes.filter((w) => w.at > lastRenewal + LEASE * 1000 && w.at < regained),
    [],
    "no write while the Lease could have been taken",
  );
  assert.equal(writes.find((w) => w.at >= regained)?.what, "Ingress till-canary", "the route to stable first");
  assert.equal(
    Number(
      app.sandbox.store.get(R.ingresses, "default", "till-canary")?.metadata.annotations?.[
        "nginx.ingress.kubernetes.io/canary-weight"
      ],
    ),
    0,
  );
  assert.equal(app.state()?.phase, "rolled-back");
  assert.equal(stableImage(), stableBefore);
});

test("no track ever had weight without ready pods", () => {
  assert.deepEqual(watcher.violations, []);
});
