// `grayctl guard` (issue 20, decision 041): one pass, with no grayctl.yaml,
// over the namespace's apps. A rollout whose process died (SIGKILL at 25 %) is
// rolled back, or resumed with `onOrphan: resume`; a live one is never touched,
// even through a slow API; a stalled owner that wakes writes nothing; of two
// guards at once exactly one acts. The guard runs in an empty directory, so
// all it knows comes from what the rollout recorded in the cluster.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parse } from "yaml";
import { R } from "../../sandbox/resources.ts";
import { type CliResult, jsonEvents, type RunningCli, runCli, spawnCli } from "../helpers/cli.ts";
import { roleKubeconfig } from "../helpers/cluster-sandbox.ts";
import { demoImage, eventually, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";
import { type TrafficWatcher, watchTraffic } from "../helpers/traffic-watcher.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver.ts";

// 4 s: with 2 s (renew deadline 1.3 s) a loaded CI machine made a guard lose its own Lease mid-rollback.
const LEASE_MS = 4_000;
const CONFIG = `app: shop
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: shop.local
rollout:
  steps: [25, 50, 100]
  interval: 2s
  readyTimeout: 20s
  progressDeadline: 2m
  leaseDuration: ${LEASE_MS / 1000}s
`;
const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";

let app: SandboxApp;
let watcher: TrafficWatcher;
let receiver: WebhookReceiver;
let emptyDir: string;
/** The guard's kubeconfig: on the real control plane, the ServiceAccount of the Role `guard install` writes. */
let guardKubeconfig: string;
const running: RunningCli[] = [];
before(async () => {
  app = await startSandboxApp(CONFIG);
  watcher = watchTraffic(app.sandbox.store, app.namespace, "shop");
  receiver = await startWebhookReceiver();
  emptyDir = await mkdtemp(join(tmpdir(), "grayctl-guard-"));
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr + first.stdout);
  guardKubeconfig = app.sandbox.kubeconfigPath;
  if (app.onCluster) {
    // The real authorizer judges every guard pass below against exactly that Role (the CronJob left out: no pod runs here).
    const printed = await runCli(["-n", app.namespace, "guard", "install"]);
    assert.equal(printed.code, 0, printed.stderr);
    const rbacYaml = printed.stdout
      .split(/^---$/m)
      .filter((doc) => !/^kind: CronJob$/m.test(doc))
      .join("---\n");
    const server = parse(await readFile(app.sandbox.kubeconfigPath, "utf8")).clusters[0].cluster.server;
    guardKubeconfig = await roleKubeconfig(join(emptyDir, "guard.kubeconfig"), {
      namespace: app.namespace,
      rbacYaml,
      serviceAccount: "grayctl-guard",
      server,
    });
  }
});
after(async () => {
  // A failed assertion must not leave a stopped or running process behind.
  for (const child of running) {
    child.kill("SIGCONT");
    child.kill("SIGKILL");
  }
  watcher?.stop();
  await receiver?.stop();
  await app?.stop();
  await rm(emptyDir, { recursive: true, force: true });
});

const store = () => app.sandbox.store;
const canaryWeight = () =>
  Number(store().get(R.ingresses, app.namespace, "shop-canary")?.metadata.annotations?.[WEIGHT] ?? 0);
const canaryReplicas = () => store().get(R.deployments, app.namespace, "shop-canary")?.spec.replicas;
const stableImage = () =>
  store().get(R.deployments, app.namespace, "shop")?.spec.template.spec.containers[0].image as string;
const eventReasons = () =>
  store()
    .list(R.events, app.namespace)
    .map((e) => String(e.reason));
const leaseHolder = () => store().get(R.leases, app.namespace, "shop-grayctl")?.spec?.holderIdentity as string;

/** One guard pass as a CronJob runs it: no grayctl.yaml, the namespace from -n, JSON output. */
async function guard(extra: string[] = []): Promise<CliResult> {
  const result = await runCli(
    ["--kubeconfig", guardKubeconfig, "-n", app.namespace, "-o", "json", "guard", "--grace", "1s", ...extra],
    { cwd: emptyDir, timeoutMs: 120_000, env: { GRAYCTL_ACTOR: "guard", GRAYCTL_CONFIG: undefined } },
  );
  return result;
}
const resultOf = (run: CliResult) => jsonEvents(run.stdout).at(-1);

/** Starts a rollout and sends `signal` to it once it recorded 25 % (the first step) as applied. */
async function rolloutStoppedAt25(image: string, signal: NodeJS.Signals, extra: string[] = []): Promise<RunningCli> {
  const child = app.spawn(["rollout", "--image", image, "-o", "json", ...extra]);
  running.push(child);
  await eventually("the rollout at 25 %", () => app.state()?.weight === 25 && app.state()?.phase === "progressing");
  child.kill(signal);
  return child;
}

test("a rollout SIGKILLed at 25 % is rolled back by one guard pass: 100 % stable, canary 0, history, Events, notify", async () => {
  const killed = await rolloutStoppedAt25(demoImage("v2"), "SIGKILL");
  await killed.done;
  assert.equal(canaryWeight(), 25, "the dead rollout left its canary with traffic");
  const pass = await guard(["--notify", `${receiver.url}/guard`]);
  assert.equal(pass.code, 0, pass.stderr + pass.stdout);
  const result = resultOf(pass);
  assert.equal(result.outcome, "guard-acted", pass.stdout);
  assert.equal(result.rolledBack, 1);
  assert.equal(canaryWeight(), 0);
  assert.equal(canaryReplicas(), 0);
  assert.equal(stableImage(), demoImage("v1"));
  const last = app.history().at(-1);
  assert.equal(last?.outcome, "rolled-back");
  assert.match(last?.reason ?? "", /orphaned: .* stopped renewing its Lease; the guard rolled it back/);
  // The takeover is said while the guard holds the Lease; the rollback's own Event follows.
  const reasons = eventReasons();
  assert.ok(reasons.includes("OrphanTakenOver") && reasons.includes("RolledBack"), reasons.join(","));
  const events = receiver.accepted("/guard").map((r) => JSON.parse(r.body).event);
  assert.ok(events.includes("orphan-rolled-back"), events.join(","));
});

test("onOrphan: resume continues a killed rollout from its recorded step to promotion", async () => {
  const killed = await rolloutStoppedAt25(demoImage("v2"), "SIGKILL", ["--set", "rollout.onOrphan=resume"]);
  await killed.done;
  const pass = await guard();
  assert.equal(pass.code, 0, pass.stderr + pass.stdout);
  assert.equal(resultOf(pass).resumed, 1, pass.stdout);
  assert.equal(app.history().at(-1)?.outcome, "promoted");
  assert.equal(stableImage(), demoImage("v2"));
  assert.equal(canaryWeight(), 0);
  // Resumed from 25 %: the router never went back below it before the promotion.
  const weights = watcher.weights;
  const since = weights.lastIndexOf(25);
  assert.deepEqual(
    weights.slice(since).filter((w) => w > 0 && w < 100),
    [25, 50],
    `weights after the kill: ${weights.slice(since)}`,
  );
  assert.ok(eventReasons().includes("OrphanResumed"));
});

test("onOrphan: resume of a bad canary ends rolled back by its recorded gates", async () => {
  // The recorded command gate passes while the marker is absent: the canary turns bad after the kill.
  const marker = join(emptyDir, "canary-is-bad");
  const gate = `analysis.checks=[{name: canary-ok, command: [sh, -c, 'test ! -e ${marker}']}]`;
  const stableBefore = stableImage();
  const killed = await rolloutStoppedAt25(demoImage("v3"), "SIGKILL", [
    "--set",
    "rollout.onOrphan=resume",
    "--set",
    gate,
  ]);
  await killed.done;
  await writeFile(marker, "bad\n");
  const pass = await guard();
  assert.equal(pass.code, 0, pass.stderr + pass.stdout);
  assert.equal(resultOf(pass).resumed, 1, pass.stdout);
  assert.equal(app.history().at(-1)?.outcome, "rolled-back");
  assert.match(app.history().at(-1)?.reason ?? "", /canary-ok/);
  assert.equal(stableImage(), stableBefore);
  assert.equal(canaryWeight(), 0);
});

test("onOrphan: hold reports the orphan, writes no Lease, leaves traffic; status shows the guard's last pass", async () => {
  const killed = await rolloutStoppedAt25(demoImage("v3b"), "SIGKILL", ["--set", "rollout.onOrphan=hold"]);
  await killed.done;
  const holder = leaseHolder();
  const pass = await guard();
  assert.equal(pass.code, 0, pass.stderr + pass.stdout);
  assert.equal(resultOf(pass).held, 1, pass.stdout);
  assert.equal(canaryWeight(), 25);
  assert.equal(leaseHolder(), holder, "hold takes no Lease");
  assert.ok(eventReasons().includes("OrphanHeld"));
  const status = await app.grayctl(["status"]);
  assert.match(
    status.stdout,
    /guard: last pass \S+ \(-?\d+s ago by its clock\); an orphaned rollout is held \(onOrphan: hold\)/,
  );
  const rolledBack = await app.grayctl(["rollback", "--reason", "end of the hold test"]);
  assert.equal(rolledBack.code, 0, rolledBack.stderr);
});

test("a live rollout is never touched: many guard passes, a slow API among them, 0 takeovers", async () => {
  // A long interval keeps the live rollout at 25 % while the guards look at it.
  // A 300 ms API needs a Lease longer than 2 s to renew in time: 6 s, still watched by every pass.
  const child = app.spawn([
    "rollout",
    "--image",
    demoImage("v4"),
    "-o",
    "json",
    "--set",
    "rollout.interval=5m",
    "--set",
    "rollout.leaseDuration=6s",
    // Its own deadline must not end it while 100 passes look (GRAYCTL_GUARD_PASSES).
    "--set",
    "rollout.progressDeadline=30m",
  ]);
  running.push(child);
  await eventually("the rollout at 25 %", () => app.state()?.weight === 25);
  const owner = leaseHolder();
  const verdicts: string[] = [];
  // 16 in CI (seconds); GRAYCTL_GUARD_PASSES=100 for the figure (a multiple of 4).
  const PASSES = Number(process.env.GRAYCTL_GUARD_PASSES ?? 16);
  for (let round = 0; round < PASSES / 4; round++) {
    // A quarter of the passes with every API request 300 ms late (sandbox only: the real API server cannot be slowed).
    if (!app.onCluster) app.sandbox.faults.set(round % 2 === 1 ? [{ action: { type: "latency", ms: 300 } }] : []);
    const passes = await Promise.all([guard(), guard(), guard(), guard()]);
    for (const pass of passes) {
      assert.equal(pass.code, 0, pass.stderr + pass.stdout);
      const result = resultOf(pass);
      verdicts.push(`${result.live}/${result.rolledBack}/${result.resumed}`);
    }
  }
  if (!app.onCluster) app.sandbox.faults.clear();
  assert.deepEqual(
    new Set(verdicts),
    new Set(["1/0/0"]),
    `${verdicts.join(" ")}\n${JSON.stringify(app.state())}\n${child.output().stdout}`,
  );
  assert.equal(leaseHolder(), owner, "the Lease changed hands");
  assert.equal(app.state()?.phase, "progressing");
  assert.equal(canaryWeight(), 25);
  // Leave nothing in flight for the next test.
  const rolledBack = await app.grayctl(["rollback", "--reason", "end of the live-rollout test"]);
  assert.equal(rolledBack.code, 0, rolledBack.stderr);
  await child.done;
});

test("a stalled owner (SIGSTOP past its Lease) is rolled back by the guard and, woken, writes nothing", async () => {
  const stalled = await rolloutStoppedAt25(demoImage("v5"), "SIGSTOP");
  const pass = await guard();
  assert.equal(pass.code, 0, pass.stderr + pass.stdout);
  assert.equal(resultOf(pass).rolledBack, 1, pass.stdout);
  assert.equal(canaryWeight(), 0);
  const weightsBefore = watcher.weights.length;
  const stateBefore = JSON.stringify(app.state());
  stalled.kill("SIGCONT");
  const woken = await stalled.done;
  assert.equal(woken.code, 3, woken.stderr + woken.stdout);
  assert.equal(resultOf(woken).outcome, "superseded", woken.stdout);
  assert.equal(
    watcher.weights.length,
    weightsBefore,
    `the woken owner set weights ${watcher.weights.slice(weightsBefore)}`,
  );
  assert.equal(JSON.stringify(app.state()), stateBefore);
  assert.equal(canaryWeight(), 0);
});

test("two guard passes at once: exactly one acts", async () => {
  const killed = await rolloutStoppedAt25(demoImage("v6"), "SIGKILL");
  await killed.done;
  const passes = await Promise.all([guard(), guard()]);
  for (const pass of passes) assert.equal(pass.code, 0, pass.stderr + pass.stdout);
  const acted = passes.map((pass) => resultOf(pass).rolledBack);
  assert.deepEqual(acted.sort(), [0, 1], passes.map((p) => p.stdout).join("\n"));
  assert.equal(app.history().filter((h) => h.outcome === "rolled-back" && h.image === demoImage("v6")).length, 1);
  assert.equal(canaryWeight(), 0);
});

test("guard --watch passes again every --interval: an orphan appearing later is rolled back, SIGTERM ends it with exit 0", async () => {
  const watching = spawnCli(
    [
      "--kubeconfig",
      guardKubeconfig,
      "-n",
      app.namespace,
      "-o",
      "json",
      "guard",
      "--grace",
      "1s",
      "--watch",
      "--interval",
      "1s",
    ],
    { cwd: emptyDir, env: { GRAYCTL_ACTOR: "guard", GRAYCTL_CONFIG: undefined } },
  );
  running.push(watching);
  const killed = await rolloutStoppedAt25(demoImage("v7"), "SIGKILL");
  await killed.done;
  await eventually(
    "the watching guard's rollback",
    () => app.history().at(-1)?.image === demoImage("v7") && app.history().at(-1)?.outcome === "rolled-back",
    60_000,
  );
  assert.equal(canaryWeight(), 0);
  watching.kill("SIGTERM");
  const ended = await watching.done;
  assert.equal(ended.code, 0, ended.stderr + ended.stdout);
  const results = jsonEvents(ended.stdout).filter((event) => event.type === "result");
  assert.ok(results.length >= 2, `one result per pass: ${results.length}`);
  assert.equal(results.filter((result) => result.rolledBack === 1).length, 1);
});
