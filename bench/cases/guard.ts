// guard (real control plane only): how long a canary keeps its traffic after the
// process running its rollout is SIGKILLed, with the guard installed as users
// install it — grayctl's image (built here on the local base, pushed to the
// registry), `grayctl guard install --schedule '*/1 * * * *' --apply`, the real
// CronJob and Job controllers and the node agent running the pod with Docker.
// Each trial rolls a new image out to its 25 % step, SIGKILLs the rollout, and
// takes the time from the kill to the router write that sends 100 % to stable,
// as the API server's watch serves it (a mirror of the namespace). Each kill
// waits a random 0–60 s at 25 % first, so that kills fall at random moments of
// the schedule's minute (back to back, every trial would kill at about the same
// second, each trial lasting about as long as the last). Each is
// split where the API says when: the kill to the Job's creation (the CronJob
// controller's schedule), the Job to its container's start (scheduler, agent,
// Docker), and the start to the write (the pass: the Lease watched for its
// duration plus the grace, then the rollback). Nothing here asserts a time.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { apiCall } from "../../cluster/api.ts";
import { R } from "../../sandbox/resources.ts";
import { adminTarget } from "../../test/helpers/cluster-sandbox.ts";
import { demoImage, ROOT, until } from "../lib/cluster.ts";
import { type CaseResult, type Stats, stats } from "../lib/measure.ts";
import type { RealBenchCluster } from "../lib/real-cluster.ts";

const run = promisify(execFile);
const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";
const BASE = "local/cc-base:bookworm";
export const GUARD_SCHEDULE = "*/1 * * * *";

const guardConfig = (leaseDuration: string) => `app: orphan
deployment:
  replicas: 1
traffic:
  router: nginx
  host: orphan.local
rollout:
  steps: [25, 50, 100]
  interval: 10m
  readyTimeout: 60s
  leaseDuration: ${leaseDuration}
  scaleDownDelay: 0s
`;

export interface GuardTrial {
  /** When the rollout was killed (this machine's clock): where in the schedule's minute. */
  killedAt: string;
  /** SIGKILL → the router write of 100 % stable, seconds. */
  toStableS: number;
  /** SIGKILL → the creation of the Job that acted (the API server's clock, 1 s resolution). */
  toJobS?: number;
  /** The Job's creation → its container's start (both the API's, 1 s resolution). */
  jobToStartS?: number;
  /** The container's start → the router write (the pass itself). */
  startToStableS?: number;
}

let pushed: Promise<string> | undefined;
/** Builds grayctl's image on the local base and pushes it, once per bench run; returns REPO:VERSION@sha256:… */
function pushGrayctlImage(registry: string): Promise<string> {
  pushed ??= buildAndPush(registry);
  return pushed;
}

async function buildAndPush(registry: string): Promise<string> {
  await run("bash", [join(ROOT, "scripts/local-base-image.sh"), BASE]);
  const built = await run(
    process.execPath,
    [join(ROOT, "scripts/image.ts"), "--push", `${registry}/grayctl-bench/grayctl`, "--base", BASE, "--no-build"],
    { cwd: ROOT, timeout: 300_000 },
  );
  return built.stdout.trim();
}

const seconds = (ms: number) => ms / 1000;
const s = (value: Stats) => `${value.median.toFixed(1)} s (max ${value.max.toFixed(1)})`;

/** p95 of a small sample by linear interpolation, as stats() computes its quartiles. */
export function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

export async function guardTrials(
  cluster: RealBenchCluster,
  adminKubeconfig: string,
  options: { trials: number; leaseDuration: string; registry: string },
): Promise<{ result: CaseResult; trials: GuardTrial[]; image: string; leaseDuration: string }> {
  const admin = await adminTarget(adminKubeconfig);
  const { namespace, store } = cluster;
  const image = await pushGrayctlImage(options.registry);
  console.log(`guard: grayctl's image ${image}`);
  const install = await run(
    process.execPath,
    [
      join(ROOT, "bin/grayctl.js"),
      "--kubeconfig",
      adminKubeconfig,
      "-n",
      namespace,
      "guard",
      "install",
      "--schedule",
      GUARD_SCHEDULE,
      "--image",
      image,
      "--apply",
    ],
    { cwd: cluster.dir, timeout: 60_000 },
  );
  if (!/CronJob grayctl-guard/.test(install.stdout + install.stderr))
    throw new Error(`guard install: ${install.stderr}`);
  const config = await cluster.writeConfig("orphan", guardConfig(options.leaseDuration));
  const first = await cluster.grayctl(config, ["rollout", "--image", demoImage("v1")]);
  if (first.code !== 0) throw new Error(`first deploy failed: ${first.stderr}`);

  const canaryWeight = () => store.get(R.ingresses, namespace, "orphan-canary")?.metadata.annotations?.[WEIGHT];
  const recorded = () => {
    const data = store.get(R.configmaps, namespace, "orphan-grayctl")?.data as Record<string, string> | undefined;
    return {
      state: data?.state ? (JSON.parse(data.state) as { weight?: number; image?: string; phase?: string }) : undefined,
      history: data?.history ? (JSON.parse(data.history) as { image: string; outcome: string }[]) : [],
    };
  };
  const guardJobs = async () => {
    const answer = await apiCall(admin, "GET", `/apis/batch/v1/namespaces/${namespace}/jobs`);
    return JSON.parse(answer.body).items as { metadata: { name: string; creationTimestamp: string } }[];
  };
  const podOf = async (job: string) => {
    const answer = await apiCall(admin, "GET", `/api/v1/namespaces/${namespace}/pods?labelSelector=job-name%3D${job}`);
    const pod = JSON.parse(answer.body).items[0];
    const started = pod?.status?.containerStatuses?.[0]?.state;
    return started?.running?.startedAt ?? started?.terminated?.startedAt;
  };

  const trials: GuardTrial[] = [];
  for (let trial = 1; trial <= options.trials; trial++) {
    const tag = `v2-guard${trial}`;
    const { GRAYCTL_UNBUNDLED: _, ...env } = process.env;
    const rollout: ChildProcess = spawn(
      process.execPath,
      cluster.grayctlArgs(config, ["rollout", "--image", demoImage(tag)]),
      { env: { ...env, GRAYCTL_ACTOR: "bench" }, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    rollout.stderr?.on("data", (chunk) => (stderr = (stderr + chunk).slice(-2000)));
    const exited = new Promise((resolve) => rollout.on("exit", resolve));
    await until(
      `the rollout of ${tag} at 25 %`,
      () => {
        if (rollout.exitCode !== null) throw new Error(`the rollout of ${tag} exited ${rollout.exitCode}: ${stderr}`);
        const { state } = recorded();
        return canaryWeight() === "25" && state?.weight === 25 && state.image === demoImage(tag);
      },
      180_000,
    );
    // A random moment of the schedule's minute: one trial after another would otherwise kill at
    // about the same second of every minute (each trial takes about as long as the last).
    const phaseMs = Math.round(Math.random() * 60_000);
    await new Promise((resolve) => setTimeout(resolve, phaseMs));
    if (rollout.exitCode !== null) throw new Error(`the rollout of ${tag} exited ${rollout.exitCode}: ${stderr}`);
    const jobsBefore = new Set((await guardJobs()).map((job) => job.metadata.name));
    rollout.kill("SIGKILL");
    const killedAt = performance.now();
    const killedAtWall = Date.now();
    await exited;
    // A minute to the schedule, the pod's start, the Lease watched, the act: 3 minutes is a fault.
    await until(`the guard's rollback of ${tag}`, () => canaryWeight() === "0", 180_000);
    const toStableMs = performance.now() - killedAt;
    const stableAtWall = killedAtWall + toStableMs;
    // The Job that acted: the newest one created since the kill (or the one already running then).
    const jobs = (await guardJobs()).sort((a, b) =>
      a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp),
    );
    const acting = [...jobs].reverse().find((job) => Date.parse(job.metadata.creationTimestamp) <= stableAtWall);
    const measured: GuardTrial = { toStableS: seconds(toStableMs), killedAt: new Date(killedAtWall).toISOString() };
    if (acting) {
      const createdAt = Date.parse(acting.metadata.creationTimestamp);
      const startedAt = await podOf(acting.metadata.name);
      if (!jobsBefore.has(acting.metadata.name)) measured.toJobS = seconds(createdAt - killedAtWall);
      if (startedAt) {
        measured.jobToStartS = seconds(Date.parse(startedAt) - createdAt);
        measured.startToStableS = seconds(stableAtWall - Date.parse(startedAt));
      }
    }
    trials.push(measured);
    console.log(
      `guard (lease ${options.leaseDuration}) trial ${trial}/${options.trials}: SIGKILL → 100 % stable ${measured.toStableS.toFixed(1)} s` +
        ` (to the Job ${measured.toJobS?.toFixed(0) ?? "?"} s, Job → container ${measured.jobToStartS?.toFixed(0) ?? "?"} s,` +
        ` container → stable ${measured.startToStableS?.toFixed(1) ?? "?"} s)`,
    );
    await until(
      `the rollback of ${tag} recorded`,
      () => recorded().history.at(-1)?.image === demoImage(tag) && recorded().history.at(-1)?.outcome === "rolled-back",
      120_000,
    );
  }

  const toStable = trials.map((t) => t.toStableS);
  const part = (values: (number | undefined)[]) => {
    const known = values.filter((v): v is number => v !== undefined);
    return known.length ? stats(known) : undefined;
  };
  const toJob = part(trials.map((t) => t.toJobS));
  const jobToStart = part(trials.map((t) => t.jobToStartS));
  const startToStable = part(trials.map((t) => t.startToStableS));
  const p95 = percentile(toStable, 0.95);
  const all = stats(toStable);
  const result: CaseResult = {
    case: "guard-orphan",
    target: "real cluster",
    subject: {
      label: `SIGKILL at 25 % → 100 % stable, guard CronJob ${GUARD_SCHEDULE}, lease ${options.leaseDuration} + 10s grace`,
      // In milliseconds, as every other case's figure.
      ms: stats(toStable.map((value) => value * 1000)),
      extra: {
        p95Ms: p95 * 1000,
        ...(toJob ? { killToJobS: toJob } : {}),
        ...(jobToStart ? { jobToContainerS: jobToStart } : {}),
        ...(startToStable ? { containerToStableS: startToStable } : {}),
      },
    },
    note: `${trials.length} trials: median ${all.median.toFixed(1)} s, p95 ${p95.toFixed(1)} s, max ${all.max.toFixed(1)} s; kill → Job ${toJob ? s(toJob) : "?"}, Job → container ${jobToStart ? s(jobToStart) : "?"}, container → stable ${startToStable ? s(startToStable) : "?"}`,
  };
  return { result, trials, image, leaseDuration: options.leaseDuration };
}
