// Issue 22's acceptance on two real control planes at once: cluster A is the
// test run's (GRAYCTL_TEST_CLUSTER), cluster B a second one this file starts on
// its own bridge and pod range (scripts/start-cluster.mjs) and stops by PID.
// One kubeconfig has a context per cluster, each the ServiceAccount of the
// app's Role in the same namespace; the built grayctl runs as a user would, and
// every outcome is read with the real kubectl in both clusters: the images on
// the Deployments, replica counts, the canary Ingress's weight, the recorded
// history. The tests run in order on one app (each release starts where the
// previous one left both clusters); the last one stops B's API server.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parseAllDocuments, stringify } from "yaml";
import { startCluster, type StartedCluster } from "../../scripts/start-cluster.mjs";
import { type CliResult, type RunningCli, runCli, spawnCli } from "../helpers/cli.ts";
import {
  appNamespace,
  type Context,
  guardContext,
  kubectlJson,
  type RealCluster,
  realCluster,
  writePairKubeconfig,
} from "../helpers/cluster-pair.ts";
import { clusterKubeconfig, deleteNamespace, testNamespace } from "../helpers/cluster-sandbox.ts";
import { demoImage, eventually } from "../helpers/sandbox-app.ts";

// B's network: not grayctl0/10.244.77.0/24 (the development cluster) nor
// grayctl-test/10.244.128.0/17 (test:cluster's own).
const B_NETWORK = { bridge: "grayctl-wb", podCidr: "10.244.78.0/24", nodeName: "grayctl-wb-node" };
const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";
const BAKE_S = 3;

let clusterB: StartedCluster | undefined;
/** Everything B's `npm run cluster` printed: shown if it went down before the last test stopped it. */
let outputB = "";
let stoppedOnPurpose = false;
/** B's kube-apiserver, from the start's output: the last test stops it. */
let apiserverB = 0;
let a: RealCluster;
let b: RealCluster;
let namespace: string;
let dir: string;
let kubeconfig: string;
const running: RunningCli[] = [];

before(async () => {
  const adminA = clusterKubeconfig();
  if (!adminA) throw new Error("GRAYCTL_TEST_CLUSTER is not set: run these through `npm run test:cluster`");
  const started = performance.now();
  clusterB = await startCluster(B_NETWORK, { log: (chunk) => (outputB += chunk) });
  await clusterB.ready.catch((error) => {
    throw new Error(`${error.message}\n${outputB}`);
  });
  apiserverB = Number(/kube-apiserver\s+pid (\d+)/.exec(outputB)?.[1]);
  assert.ok(apiserverB > 0, `no kube-apiserver PID in the start's output:\n${outputB}`);
  console.log(`cluster B (${B_NETWORK.bridge}, ${B_NETWORK.podCidr}) ready in ${seconds(started)}`);
  [a, b] = await Promise.all([realCluster("a", adminA), realCluster("b", clusterB.kubeconfig)]);
  namespace = testNamespace("shop");
  dir = await mkdtemp(join(tmpdir(), "grayctl-waves-two-"));
  const contexts: Context[] = await Promise.all([
    appNamespace(a, namespace, "shop"),
    appNamespace(b, namespace, "shop"),
  ]);
  // The guard's own Role in B, as `grayctl guard install` prints it (no CronJob: the test runs the pass).
  const printed = await runCli(["-n", namespace, "guard", "install"], { cwd: dir });
  assert.equal(printed.code, 0, printed.stderr);
  const guardRbac = parseAllDocuments(printed.stdout)
    .map((doc) => doc.toJS())
    .filter((doc) => doc && doc.kind !== "CronJob")
    .map((doc) => stringify(doc))
    .join("---\n");
  contexts.push(await guardContext(b, namespace, guardRbac, "b-guard"));
  kubeconfig = await writePairKubeconfig(join(dir, "kubeconfig"), contexts);
  console.log(`two clusters, namespace ${namespace} in each, ready in ${seconds(started)}`);
});

after(async () => {
  for (const child of running) child.kill("SIGKILL");
  if (clusterB && !stoppedOnPurpose && !alive(clusterB.pid)) console.log(`cluster B went down:\n${outputB}`);
  if (a) await deleteNamespace(a.admin, namespace);
  await clusterB?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

const CONFIG = (options: { bSet?: string; onWaveFailure?: string } = {}) => `app: shop
namespace: NAMESPACE
deployment: { replicas: 2 }
traffic: { router: nginx, host: shop.local }
rollout:
  steps: [50, 100]
  interval: 1s
  readyTimeout: 60s
  progressDeadline: 3m
  scaleDownDelay: 0s
  leaseDuration: 4s
targets:
  - { name: a, context: a }
  - { name: b, context: b${options.bSet ? `, set: { ${options.bSet} }` : ""} }
waves:
  - { targets: [a], bake: ${BAKE_S}s }
  - { targets: [b] }
onWaveFailure: ${options.onWaveFailure ?? "rollback"}
`;

// b's gate asks its pods for a path they do not serve (404): b's canary fails its health check, a's passes.
const B_FAILS = "analysis.healthz.path: /not-served";

async function configFile(yaml: string): Promise<string> {
  const file = join(dir, `grayctl-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, yaml.replace("NAMESPACE", namespace));
  return file;
}

const ENV = { GRAYCTL_TEST: "1", GRAYCTL_ACTOR: "test-runner", KUBECONFIG: undefined, GRAYCTL_CONFIG: undefined };

async function rollout(yaml: string, image: string, env: Record<string, string> = {}): Promise<CliResult> {
  const started = performance.now();
  const file = await configFile(yaml);
  const args = ["--kubeconfig", kubeconfig, "--config", file, "rollout", "--image", image, "-o", "json"];
  const result = await runCli(args, { cwd: dir, timeoutMs: 240_000, env: { ...ENV, ...env } });
  console.log(`grayctl rollout ${image.split(":")[1].split("@")[0]}: exit ${result.code} in ${seconds(started)}`);
  return result;
}

async function spawnRollout(yaml: string, image: string, env: Record<string, string> = {}): Promise<RunningCli> {
  const file = await configFile(yaml);
  const args = ["--kubeconfig", kubeconfig, "--config", file, "rollout", "--image", image, "-o", "json"];
  const child = spawnCli(args, { cwd: dir, env: { ...ENV, ...env } });
  running.push(child);
  return child;
}

/** The complete JSON lines so far (a line still being written is left out). */
// biome-ignore lint/suspicious/noExplicitAny: events are free-form JSON read field by field
function events(stdout: string): any[] {
  const lines = stdout.split("\n");
  if (!stdout.endsWith("\n")) lines.pop();
  return lines.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));
}
const resultOf = (run: CliResult) => events(run.stdout).at(-1);
const timeOf = (event: { time: string }) => Date.parse(event.time);

interface Track {
  image?: string;
  replicas: number;
  ready: number;
  generation: number;
}

/** An object as kubectl prints it, read field by field. */
interface Item {
  kind: string;
  metadata: {
    name: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
  // biome-ignore lint/suspicious/noExplicitAny: spec and status differ by kind
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: spec and status differ by kind
  status?: any;
  data?: Record<string, string>;
}

/** What kubectl (admin) sees of the app in one cluster. */
async function look(cluster: RealCluster) {
  const items: Item[] = (await kubectlJson(cluster, namespace, ["get", "deployments,ingresses,configmaps,pods"])).items;
  const find = (kind: string, name: string) => items.find((item) => item.kind === kind && item.metadata.name === name);
  const track = (name: string): Track => {
    const deployment = find("Deployment", name);
    return {
      image: deployment?.spec.template.spec.containers[0].image,
      replicas: deployment?.spec.replicas ?? 0,
      ready: deployment?.status?.readyReplicas ?? 0,
      generation: deployment?.metadata.generation ?? 0,
    };
  };
  const canaryIngress = find("Ingress", "shop-canary");
  const stablePods = items.filter(
    (item) =>
      item.kind === "Pod" &&
      item.metadata.labels?.app === "shop" &&
      item.metadata.labels.track === "stable" &&
      item.status?.phase === "Running" &&
      !item.metadata.deletionTimestamp,
  );
  return {
    stable: track("shop"),
    canary: track("shop-canary"),
    canaryWeight: canaryIngress ? Number(canaryIngress.metadata.annotations?.[WEIGHT] ?? 0) : undefined,
    /** The images of the stable track's running pods. */
    stablePods: stablePods.map((pod) => pod.spec.containers[0].image as string),
    history: JSON.parse(find("ConfigMap", "shop-grayctl")?.data?.history ?? "[]") as {
      image: string;
      outcome: string;
      reason?: string;
    }[],
  };
}

/** Waits (bounded) until the stable track runs only `image`, all replicas ready: kubectl in that cluster. */
async function stableRuns(cluster: RealCluster, image: string) {
  return eventually(
    `${cluster.name}'s stable to run ${image} on every replica`,
    async () => {
      const seen = await look(cluster);
      const settled =
        seen.stable.image === image &&
        seen.stable.ready === seen.stable.replicas &&
        seen.stablePods.length === seen.stable.replicas &&
        seen.stablePods.every((pod) => pod === image);
      return settled ? seen : undefined;
    },
    60_000,
  );
}

test("a release is promoted in wave 1 (cluster A), baked, then promoted in wave 2 (cluster B)", async () => {
  const first = await rollout(CONFIG(), demoImage("v1"));
  assert.equal(first.code, 0, first.stderr + first.stdout);
  const run = await rollout(CONFIG(), demoImage("v2"));
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.equal(resultOf(run).outcome, "promoted");
  for (const cluster of [a, b]) {
    const seen = await stableRuns(cluster, demoImage("v2"));
    assert.equal(seen.stable.replicas, 2, `${cluster.name}: stable replicas`);
    assert.equal(seen.canary.replicas, 0, `${cluster.name}: canary scaled down`);
    assert.equal(seen.canaryWeight, 0, `${cluster.name}: canary Ingress weight`);
    assert.deepEqual(
      seen.history.map((entry) => [entry.image, entry.outcome]),
      [
        [demoImage("v1"), "deployed"],
        [demoImage("v2"), "promoted"],
      ],
      `${cluster.name}'s history`,
    );
  }
  const all = events(run.stdout);
  const at = (check: (e: Record<string, unknown>) => boolean) => all.findIndex(check);
  const aPromoted = at((e) => e.type === "target-result" && e.target === "a" && e.outcome === "promoted");
  const bakeStarted = at((e) => e.type === "bake-started" && e.wave === 1);
  const baked = at((e) => e.type === "bake-passed" && e.wave === 1);
  const bFirstStep = at((e) => e.type === "step" && e.target === "b");
  assert.ok(
    aPromoted >= 0 && bakeStarted > aPromoted && baked > bakeStarted && bFirstStep > baked,
    `order: a promoted ${aPromoted}, bake ${bakeStarted}..${baked}, b's first step ${bFirstStep}`,
  );
  const bakeMs = timeOf(all[baked]) - timeOf(all[bakeStarted]);
  assert.ok(bakeMs >= BAKE_S * 1000, `the bake lasted ${bakeMs} ms, less than its ${BAKE_S}s`);
  for (const target of ["a", "b"])
    assert.deepEqual(
      all.filter((e) => e.type === "step" && e.target === target).map((e) => e.weight),
      [50, 100],
      `${target}'s steps`,
    );
  console.log(
    `wave 1 (A) ${(timeOf(all[bakeStarted]) - timeOf(all[0])) / 1000} s, bake ${bakeMs / 1000} s, wave 2 (B) ${(timeOf(all.at(-1)) - timeOf(all[baked])) / 1000} s`,
  );
});

test("a bad canary in wave 2 (B) rolls B back and, with onWaveFailure: rollback, A to its previous release", async () => {
  const run = await rollout(CONFIG({ bSet: B_FAILS }), demoImage("v3"));
  assert.equal(run.code, 3, run.stderr + run.stdout);
  const ended = resultOf(run);
  assert.equal(ended.outcome, "rolled-back");
  assert.match(ended.reason, /wave 2 failed: target b/);
  assert.deepEqual(ended.targets.a, { wave: 1, rollout: "promoted", rollback: "rolled-back" });
  const seenA = await stableRuns(a, demoImage("v2"));
  assert.deepEqual(
    seenA.history.slice(-2).map((entry) => entry.outcome),
    ["promoted", "rolled-back"],
    "A promoted v3, then went back",
  );
  assert.equal(seenA.history.at(-2)?.image, demoImage("v3"));
  const seenB = await stableRuns(b, demoImage("v2"));
  assert.equal(seenB.canary.replicas, 0, "B's canary scaled down");
  assert.equal(seenB.canaryWeight, 0, "B's traffic all on stable");
  assert.equal(seenB.history.at(-1)?.image, demoImage("v3"));
  assert.equal(seenB.history.at(-1)?.outcome, "rolled-back");
});

test("with onWaveFailure: halt, B's bad canary rolls back and A stays on the new release", async () => {
  const run = await rollout(CONFIG({ bSet: B_FAILS, onWaveFailure: "halt" }), demoImage("v4"));
  assert.equal(run.code, 3, run.stderr + run.stdout);
  assert.match(resultOf(run).reason, /left on the new release \(onWaveFailure: halt\): a/);
  const seenA = await stableRuns(a, demoImage("v4"));
  assert.equal(seenA.history.at(-1)?.outcome, "promoted");
  const seenB = await stableRuns(b, demoImage("v2"));
  assert.equal(seenB.canary.replicas, 0);
  assert.equal(seenB.canaryWeight, 0);
});

test("a release SIGKILLed at wave 2's first step: one guard pass in B rolls the orphaned canary back", async () => {
  const child = await spawnRollout(CONFIG(), demoImage("v5"));
  await eventually(
    "b's canary at its first step (50 %)",
    () => events(child.output().stdout).some((e) => e.type === "step" && e.target === "b" && e.weight === 50),
    180_000,
  );
  child.kill("SIGKILL");
  await child.done;
  const orphaned = await look(b);
  assert.equal(orphaned.canaryWeight, 50, "the dead release left B's canary with traffic");
  assert.ok(orphaned.canary.replicas > 0);
  // Wave 1 was promoted before the kill: A runs the new release.
  await stableRuns(a, demoImage("v5"));
  const started = performance.now();
  const pass = await runCli(
    ["--kubeconfig", kubeconfig, "--context", "b-guard", "-n", namespace, "-o", "json", "guard", "--grace", "1s"],
    {
      cwd: dir,
      timeoutMs: 120_000,
      env: { ...ENV, GRAYCTL_ACTOR: "guard" },
      // In a PID namespace of its own, as a CronJob's pod is: the dead release's PID means nothing there, so
      // the guard judges the orphan by its Lease (4 s, not renewed) plus --grace, not by the PID being gone.
      wrapper: ["unshare", "--pid", "--fork"],
    },
  );
  console.log(`guard pass in B (its own PID namespace): exit ${pass.code} in ${seconds(started)}`);
  assert.equal(pass.code, 0, pass.stderr + pass.stdout);
  assert.equal(resultOf(pass).outcome, "guard-acted", pass.stdout);
  assert.equal(resultOf(pass).rolledBack, 1);
  const seenB = await stableRuns(b, demoImage("v2"));
  assert.equal(seenB.canaryWeight, 0, "B's traffic all on stable");
  assert.equal(seenB.canary.replicas, 0, "B's canary scaled down");
  assert.equal(seenB.history.at(-1)?.outcome, "rolled-back");
  assert.match(seenB.history.at(-1)?.reason ?? "", /orphaned/);
});

test("a re-run of the SIGKILLed release continues from wave 2: nothing is done in A, B is released", async () => {
  const aBefore = await look(a);
  const rerun = await rollout(CONFIG(), demoImage("v5"));
  assert.equal(rerun.code, 0, rerun.stderr + rerun.stdout);
  assert.equal(resultOf(rerun).outcome, "promoted");
  const all = events(rerun.stdout);
  const continued = all.find((e) => e.type === "release-continued");
  assert.deepEqual(continued && [continued.wave, continued.reached], [2, ["a"]], rerun.stdout);
  assert.deepEqual(
    all.filter((e) => e.target === "a").map((e) => e.type),
    [],
    "no rollout event for target a",
  );
  const aAfter = await stableRuns(a, demoImage("v5"));
  assert.equal(aAfter.stable.generation, aBefore.stable.generation, "A's stable Deployment was not written");
  assert.equal(aAfter.canary.generation, aBefore.canary.generation, "A's canary Deployment was not written");
  const seenB = await stableRuns(b, demoImage("v5"));
  assert.equal(seenB.canary.replicas, 0);
  assert.equal(seenB.canaryWeight, 0);
  assert.equal(seenB.history.at(-1)?.outcome, "promoted");
});

test("B's API server stopped during wave 2: the release fails safe, names b, and rolls A back by the policy", async () => {
  const before = await look(a);
  // B's canary, its API gone, keeps trying to send its traffic back to stable until its progress deadline
  // (a single rollout's rule): 30 s here, so that the release's rollback of A follows within a minute.
  const child = await spawnRollout(CONFIG({ bSet: "rollout.progressDeadline: 30s" }), demoImage("v6"), {
    // One request's deadline and one call's retry budget, shortened (the defaults are 10 s and 20 s):
    // the point is what happens when they run out, not how long they are.
    GRAYCTL_TEST_REQUEST_TIMEOUT_MS: "4000",
    GRAYCTL_TEST_CALL_BUDGET_MS: "6000",
  });
  await eventually(
    "b's canary at its first step",
    () => events(child.output().stdout).some((e) => e.type === "step" && e.target === "b"),
    180_000,
  );
  const stopped = performance.now();
  const killedAt = Date.now();
  stoppedOnPurpose = true;
  // The API server first, by its PID: `npm run cluster` then stops the rest of B (controllers, node agent,
  // pods). Stopping B the other way round (SIGTERM to `npm run cluster`) stops the node agent and its pods
  // first, and b's canary would fail its health check while the API still answers: a bad canary, not this.
  process.kill(apiserverB, "SIGKILL");
  const run = await child.done;
  console.log(`release after B's API server was killed: exit ${run.code} ${seconds(stopped)} later`);
  // A's traffic goes back when the release sees B's outage, not when b's engine gives up at its 30 s deadline.
  const all = events(run.stdout);
  const aStable = all.find((e) => e.type === "traffic-on-stable" && e.target === "a");
  const bEnded = all.find((e) => e.type === "target-result" && e.target === "b");
  assert.ok(aStable && bEnded, run.stdout);
  const at = (e: Record<string, unknown>) => Date.parse(String(e.time));
  console.log(
    `A's traffic on stable ${((at(aStable) - killedAt) / 1000).toFixed(1)} s after the kill; b's engine gave up ${((at(bEnded) - killedAt) / 1000).toFixed(1)} s after it`,
  );
  assert.ok(at(aStable) < at(bEnded), "A rolled back before b's engine gave up");
  assert.match(resultOf(run).reason, /wave 2 failed: target b: its Kubernetes API stopped answering/);
  assert.equal(run.code, 6, `the exit code of a cluster that did not answer\n${run.stderr}${run.stdout}`);
  const ended = resultOf(run);
  assert.equal(ended.outcome, "rolled-back");
  assert.match(ended.reason, /wave 2 failed: target b/);
  assert.match(ended.reason, /not reached, left as they were: b/);
  assert.deepEqual(ended.targets.a, { wave: 1, rollout: "promoted", rollback: "rolled-back" });
  const seenA = await stableRuns(a, before.stable.image!);
  assert.equal(seenA.canary.replicas, 0);
  assert.equal(seenA.canaryWeight, 0);
  assert.deepEqual(
    seenA.history.slice(-2).map((entry) => entry.outcome),
    ["promoted", "rolled-back"],
  );
  assert.equal(seenA.history.at(-2)?.image, demoImage("v6"));
});
