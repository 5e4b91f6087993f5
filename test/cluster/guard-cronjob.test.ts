// The guard as users install it (issue 20), on the real control plane: grayctl's
// own image (Dockerfile, npm run image; built on a base made from Debian's
// packages, since nothing can be pulled here) pushed to the real registry,
// `grayctl guard install --schedule '*/1 * * * *' --image REF@sha256:… --apply`,
// and then nothing from the test: the real CronJob and Job controllers
// (kube-controller-manager) create a Job every minute, the scheduler binds its
// pod, the node agent runs it with Docker under the guard's ServiceAccount
// (decision 039). Three rollouts of one namespace are SIGKILLed at their 25 %
// step; the same passes must roll back the first (onOrphan: rollback, the
// default), resume the second to promotion and resume the third — whose canary
// crashes after the kill — to a rollback by its health gate. One CronJob cycle
// serves all three: each cycle costs up to a minute. The kill → 100 % stable time
// is printed; its distribution over many trials is `npm run bench -- --cluster
// FILE --only guard` (no wall-time assertion here).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type ApiTarget, apiCall } from "../../cluster/api.ts";
import { R } from "../../sandbox/resources.ts";
import { ensureBinary } from "../helpers/binary.ts";
import { type RunningCli, runCli, spawnCli } from "../helpers/cli.ts";
import { adminTarget, clusterKubeconfig, grantAppRole } from "../helpers/cluster-sandbox.ts";
import { requireDockerEngine, requireRegistry } from "../helpers/real-parts.ts";
import { demoImage, eventually, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);
const BASE = "local/cc-base:bookworm";
const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";
/** Up to a minute to the next schedule, the Job's pod start, the Lease watched (2 s + the 10 s grace), the act. */
const GUARD_DEADLINE_MS = 150_000;

/** An app of the namespace; `policy` is its rollout.onOrphan. The interval keeps a live owner at 25 % until the kill. */
const config = (app: string, policy: string, interval: string) => `app: ${app}
deployment:
  replicas: 1
traffic:
  router: nginx
  host: ${app}.local
rollout:
  steps: [25, 50, 100]
  interval: ${interval}
  readyTimeout: 60s
  progressDeadline: 5m
  leaseDuration: 2s
  scaleDownDelay: 0s
  onOrphan: ${policy}
`;

let app: SandboxApp;
let admin: ApiTarget;
let image: string;
let pushed: string;
const running: RunningCli[] = [];
/** The other apps' configuration files, in the first app's namespace. */
const configs: Record<string, string> = {};

before(async () => {
  const adminKubeconfig = clusterKubeconfig();
  if (!adminKubeconfig) throw new Error("GRAYCTL_TEST_CLUSTER is not set: run these through `npm run test:cluster`");
  admin = await adminTarget(adminKubeconfig);
  await requireDockerEngine();
  const registry = await requireRegistry();
  const nodes = JSON.parse((await apiCall(admin, "GET", "/api/v1/nodes")).body).items;
  assert.ok(
    nodes.some((n: { status: { nodeInfo: { containerRuntimeVersion: string } } }) =>
      n.status.nodeInfo.containerRuntimeVersion.startsWith("docker"),
    ),
    "no node runs Docker containers: start the cluster with `npm run cluster -- --kubeconfig FILE --docker`",
  );
  ensureBinary();
  await run("bash", [join(ROOT, "scripts/local-base-image.sh"), BASE]);
  pushed = `${registry}/grayctl-test/guard-cronjob-${process.pid}`;
  const built = await run(
    process.execPath,
    [join(ROOT, "scripts/image.ts"), "--push", pushed, "--base", BASE, "--no-build"],
    { cwd: ROOT, timeout: 240_000 },
  );
  image = built.stdout.trim();
  assert.match(image, /@sha256:[0-9a-f]{64}$/);

  app = await startSandboxApp(config("shop", "rollback", "1m"));
  for (const [name, policy] of [
    ["good", "resume"],
    ["crashy", "resume"],
  ]) {
    await grantAppRole(app.namespace, name);
    configs[name] = join(app.dir, `${name}.yaml`);
    // A resumed rollout goes on with its recorded 2 s steps; its owner is killed at its first.
    await writeFile(configs[name], `namespace: ${app.namespace}\n${config(name, policy, "2s")}`);
  }
  const deployed = await Promise.all([
    app.grayctl(["rollout", "--image", demoImage("v1")]),
    grayctlFor("good", ["rollout", "--image", demoImage("v1")]),
    grayctlFor("crashy", ["rollout", "--image", demoImage("v1")]),
  ]);
  for (const first of deployed) assert.equal(first.code, 0, first.stderr + first.stdout);

  // As a user installs it (an admin: the command creates a Role), on a one-minute schedule.
  const install = await runCli(
    [
      "--kubeconfig",
      adminKubeconfig,
      "-n",
      app.namespace,
      "guard",
      "install",
      "--schedule",
      "*/1 * * * *",
      "--image",
      image,
      "--apply",
    ],
    { cwd: app.dir, timeoutMs: 60_000 },
  );
  assert.equal(install.code, 0, install.stderr + install.stdout);
});

after(async () => {
  for (const child of running) child.kill("SIGKILL");
  await app?.stop();
  if (pushed) await run("docker", ["rmi", "-f", image.replace(/@.*/, "")]).catch(() => {});
});

const grayctlFor = (name: string, args: string[]) =>
  runCli(["--kubeconfig", app.sandbox.kubeconfigPath, "--config", configs[name], ...args], {
    cwd: app.dir,
    timeoutMs: 120_000,
    env: { GRAYCTL_ACTOR: "test-runner" },
  });

const store = () => app.sandbox.store;
const stateOf = (name: string) => {
  const data = store().get(R.configmaps, app.namespace, `${name}-grayctl`)?.data as Record<string, string> | undefined;
  return {
    state: data?.state ? JSON.parse(data.state) : undefined,
    history: (data?.history ? JSON.parse(data.history) : []) as {
      image: string;
      outcome: string;
      actor: string;
      reason?: string;
    }[],
  };
};
const canaryWeight = (name: string) =>
  Number(store().get(R.ingresses, app.namespace, `${name}-canary`)?.metadata.annotations?.[WEIGHT] ?? 0);
const stableImage = (name: string) =>
  store().get(R.deployments, app.namespace, name)?.spec.template.spec.containers[0].image as string;
const events = (name: string) =>
  store()
    .list(R.events, app.namespace)
    .filter((event) => (event.involvedObject as { name?: string } | undefined)?.name === name);

/** Starts a rollout of `tag` and SIGKILLs it once it recorded 25 % as applied; returns when it is dead. */
async function killedAt25(name: string, tag: string): Promise<number> {
  const args = ["rollout", "--image", demoImage(tag), "-o", "json"];
  const child =
    name === "shop"
      ? app.spawn(args)
      : spawnCli(["--kubeconfig", app.sandbox.kubeconfigPath, "--config", configs[name], ...args], {
          cwd: app.dir,
          env: { GRAYCTL_ACTOR: "test-runner" },
        });
  running.push(child);
  let exited: string | undefined;
  void child.done.then(
    (result) => (exited = `exited ${result.code}: ${result.stderr.slice(-600)}${result.stdout.slice(-600)}`),
  );
  await eventually(
    `${name}'s rollout at 25 %`,
    () => {
      if (exited) throw new Error(`${name}'s rollout of ${tag} ${exited}`);
      const { state } = stateOf(name);
      return state?.weight === 25 && state?.phase === "progressing" && state?.image === demoImage(tag);
    },
    120_000,
  );
  child.kill("SIGKILL");
  const killedAt = performance.now();
  await child.done;
  return killedAt;
}

/** The three orphans, killed at once: one CronJob cycle judges them all (started by the first test that asks). */
let killed: Promise<{ shop: number; good: number; crashy: number }> | undefined;
function orphans() {
  killed ??= (async () => {
    // The crashy canary is ready at 25 %, then exits 20 s after its start: after the kill, before the guard.
    const [shop, good, crashy] = await Promise.all([
      killedAt25("shop", "v2"),
      killedAt25("good", "v2"),
      killedAt25("crashy", "v3-crash20"),
    ]);
    return { shop, good, crashy };
  })();
  return killed;
}

test("a rollout SIGKILLed at 25 % is rolled back by the guard's CronJob: 100 % stable, history and Events name the guard", async () => {
  const { shop: killedAt } = await orphans();
  assert.equal(canaryWeight("shop"), 25, "the dead rollout left its canary with traffic");
  await eventually(
    "the guard's rollback of shop (canary weight 0)",
    () => canaryWeight("shop") === 0,
    GUARD_DEADLINE_MS,
  );
  const seconds = (performance.now() - killedAt) / 1000;
  console.log(
    `guard-cronjob: SIGKILL at 25 % → 100 % stable in ${seconds.toFixed(1)} s (schedule */1, lease 2 s + grace 10 s)`,
  );
  await eventually("shop's rollback recorded", () => stateOf("shop").history.at(-1)?.outcome === "rolled-back", 60_000);
  const last = stateOf("shop").history.at(-1);
  assert.equal(last?.image, demoImage("v2"));
  assert.equal(last?.actor, "grayctl-guard");
  assert.match(
    last?.reason ?? "",
    /orphaned: .* stopped renewing its Lease; the guard rolled it back \(onOrphan: rollback\)/,
  );
  await eventually(
    "the canary scaled to 0",
    () => store().get(R.deployments, app.namespace, "shop-canary")?.spec.replicas === 0,
    60_000,
  );
  assert.equal(stableImage("shop"), demoImage("v1"));
  const taken = events("shop").find((event) => event.reason === "OrphanTakenOver");
  assert.ok(
    taken,
    events("shop")
      .map((e) => e.reason)
      .join(","),
  );
  assert.match(String(taken.message), /grayctl-guard/, "the Event names the guard as the actor");

  // It was the CronJob's Job: a pod of grayctl's image by digest, run by Docker, under the guard's ServiceAccount.
  const pods = JSON.parse(
    (
      await apiCall(
        admin,
        "GET",
        `/api/v1/namespaces/${app.namespace}/pods?labelSelector=app.kubernetes.io/name%3Dgrayctl-guard`,
      )
    ).body,
  ).items;
  const guardPods = pods.filter(
    (pod: { metadata: { ownerReferences?: { kind: string }[] } }) => pod.metadata.ownerReferences?.[0]?.kind === "Job",
  );
  assert.ok(guardPods.length > 0, "no pod of a guard Job");
  for (const pod of guardPods) {
    assert.equal(pod.spec.serviceAccountName, "grayctl-guard");
    assert.equal(pod.spec.containers[0].image, image);
  }
  const ran = guardPods.map(
    (pod: { status: { containerStatuses?: { containerID?: string; imageID?: string }[] } }) =>
      pod.status.containerStatuses?.[0],
  );
  assert.ok(
    ran.some((status: { containerID?: string } | undefined) => status?.containerID?.startsWith("docker://")),
    JSON.stringify(ran),
  );
});

test("onOrphan: resume: the guard's Job continues a killed rollout with a good canary to promotion", async () => {
  await orphans();
  await eventually(
    "good's rollout promoted by the guard",
    () => stateOf("good").history.at(-1)?.outcome === "promoted",
    GUARD_DEADLINE_MS,
  );
  assert.equal(stableImage("good"), demoImage("v2"));
  assert.equal(canaryWeight("good"), 0);
  const last = stateOf("good").history.at(-1);
  assert.equal(last?.actor, "grayctl-guard");
  const reasons = events("good").map((e) => e.reason);
  assert.ok(reasons.includes("OrphanResumed"), reasons.join(","));
  // The pass that resumed it ends with the rollout: its Job completes.
  await eventually(
    "a guard Job of the CronJob completed",
    async () => {
      const jobs = JSON.parse(
        (await apiCall(admin, "GET", `/apis/batch/v1/namespaces/${app.namespace}/jobs`)).body,
      ).items;
      return jobs.some(
        (job: { status: { succeeded?: number }; metadata: { ownerReferences?: { kind: string }[] } }) =>
          job.metadata.ownerReferences?.[0]?.kind === "CronJob" && (job.status.succeeded ?? 0) >= 1,
      );
    },
    60_000,
  );
});

test("onOrphan: resume of a canary that crashed after the kill: the guard's Job rolls it back by its health gate", async () => {
  await orphans();
  await eventually(
    "crashy's rollout rolled back by the guard",
    () => stateOf("crashy").history.at(-1)?.outcome === "rolled-back",
    GUARD_DEADLINE_MS,
  );
  const last = stateOf("crashy").history.at(-1);
  assert.equal(last?.image, demoImage("v3-crash20"));
  assert.equal(last?.actor, "grayctl-guard");
  assert.match(last?.reason ?? "", /restarted|crash/);
  assert.equal(stableImage("crashy"), demoImage("v1"));
  assert.equal(canaryWeight("crashy"), 0);
  assert.ok(events("crashy").some((e) => e.reason === "OrphanResumed"));
});
