// `npm run bench`: grayctl beside what it replaces, in one run on one machine —
// startup, status, rollback-inflight, overhead, scale and build-noop (issue 13),
// against the sandbox with a per-request API latency of 0, 5 and 50 ms. Each
// case runs once to warm up, then several times interleaved with its baseline;
// the figures are medians with their spread (p25–p75), and each case's ratio is
// to its baseline from the same run. Prints a table and writes bench/results.json
// (bench/results.partial.json for --quick, --only or other --latencies).
// Nothing here asserts anything about time.
//
// With --cluster ADMIN_KUBECONFIG (or GRAYCTL_BENCH_CLUSTER), the status and
// rollback-inflight cases also run against the real control plane
// (`npm run cluster`; bench/lib/real-cluster.ts), the same way, in a namespace
// of their own deleted afterwards; --cluster-only runs those alone. Their
// figures go under the "realCluster" key of the results, with their own date
// and machine: a full run of either part (the sandbox's, the real cluster's)
// replaces that part of bench/results.json and keeps the other as it was.
//   npm run bench [-- --quick] [--only status,scale] [--latencies 0,5]
//   npm run bench -- --cluster /tmp/c.kubeconfig [--cluster-only]
// The guard case (bench/cases/guard.ts) runs only when named, on the real
// control plane with Docker and the registry: SIGKILL → 100 % stable under the
// guard's CronJob, one trial per kill (each costs up to a minute and a half):
//   npm run bench -- --cluster /tmp/c.kubeconfig --only guard [--guard-trials 10] [--guard-lease 30s,10s]
// (one series per lease duration, side by side in namespaces of their own).
//   npm run bench -- --only analysis    the decision rules side by side (bench/analysis/),
//     seeded; written to bench/results.json under "analysis" whatever else ran.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildNoop, missingBuildParts } from "./cases/build-noop.ts";
import { guardTrials } from "./cases/guard.ts";
import { OVERHEAD_CONFIG, overhead } from "./cases/overhead.ts";
import { analysisBench } from "./analysis/run.ts";
import { ROLLBACK_CONFIG, rollbackInflight } from "./cases/rollback.ts";
import { bundleGateRunner, scale } from "./cases/scale.ts";
import { startup } from "./cases/startup.ts";
import { status } from "./cases/status.ts";
import { wavesRollback } from "./cases/waves-rollback.ts";
import { type BenchTarget, demoImage, ROOT, startBenchCluster } from "./lib/cluster.ts";
import { startInstantPods } from "./lib/instant-pods.ts";
import type { CaseResult } from "./lib/measure.ts";
import { REAL_CLUSTER_LATENCY, startRealBenchCluster } from "./lib/real-cluster.ts";
import { machine, markdownTable, printTable } from "./lib/report.ts";
import { requireRegistry } from "../test/helpers/real-parts.ts";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    latencies: { type: "string", default: "0,5,50" },
    cluster: { type: "string" },
    "cluster-only": { type: "boolean", default: false },
    "guard-trials": { type: "string", default: "10" },
    // grayctl's default rollout.leaseDuration: what a team that sets nothing gets.
    "guard-lease": { type: "string", default: "30s" },
  },
});
const latencies = values.latencies.split(",").map(Number);
const wanted = (name: string) => !values.only || values.only.split(",").includes(name);
const runs = values.quick ? { short: 3, long: 2 } : { short: 10, long: 5 };
const clusterKubeconfig = values.cluster ?? (process.env.GRAYCTL_BENCH_CLUSTER || undefined);
if (values["cluster-only"] && !clusterKubeconfig)
  throw new Error("--cluster-only needs --cluster ADMIN_KUBECONFIG (or GRAYCTL_BENCH_CLUSTER)");
if (clusterKubeconfig && !existsSync(clusterKubeconfig))
  throw new Error(`--cluster ${clusterKubeconfig}: no such file (npm run cluster -- --kubeconfig FILE writes it)`);
const onSandbox = !values["cluster-only"];
// Only when named: its trials take minutes, and it needs Docker and the registry besides the cluster.
const guardWanted = values.only?.split(",").includes("guard") ?? false;
const onCluster = clusterKubeconfig !== undefined && (wanted("status") || wanted("rollback-inflight") || guardWanted);
/** `--only analysis`: the simulation alone — nothing to bundle, no sandbox figures to write. */
const analysisOnly = values.only === "analysis";

// The bench measures the sources as they are now, bundled as they ship.
if (!analysisOnly) {
  const bundle = spawnSync(process.execPath, [join(ROOT, "scripts/bundle.mjs")], { encoding: "utf8" });
  if (bundle.status !== 0) throw new Error(`bundling failed: ${bundle.stderr}`);
}
// The single binary, for the startup and status cases (about 10 s).
if (wanted("startup") || wanted("status") || guardWanted) {
  const binary = spawnSync(process.execPath, [join(ROOT, "scripts/build-binary.mjs")], { encoding: "utf8" });
  if (binary.status !== 0) throw new Error(`building the single binary failed: ${binary.stderr}`);
}

const before = machine();
console.log(
  `grayctl bench: ${before.cpus} × ${before.cpuModel}, ${before.memoryGb} GB, Node ${before.node}, load ${before.loadAverage.join(" ")}`,
);
const results: CaseResult[] = [];
const notes: string[] = [];
/** The real control plane's part of the run. */
const real = { results: [] as CaseResult[], notes: [] as string[], extra: {} as Record<string, unknown> };
const record = (result: CaseResult | CaseResult[], into = results) => {
  for (const r of [result].flat()) {
    into.push(r);
    printTable([r], false);
  }
};
/** A case that fails is noted and the run goes on: the other figures still count. */
const attempt = async (name: string, act: () => Promise<void>, into = notes) => {
  try {
    await act();
  } catch (error) {
    const note = `${name} failed: ${(error as Error).message.split("\n").slice(0, 3).join(" / ")}`;
    into.push(note);
    console.log(note);
  }
};

/** The apps the status and rollback-inflight cases use, deployed once at v1. */
async function deployApps(target: BenchTarget) {
  const shop = await target.writeConfig("shop", "app: shop\ndeployment:\n  replicas: 2\ntraffic:\n  router: nginx\n");
  const roll = await target.writeConfig("roll", ROLLBACK_CONFIG);
  for (const [config, tag] of [
    [shop, "v1"],
    [roll, "v1"],
  ]) {
    const deployed = await target.grayctl(config, ["rollout", "--image", demoImage(tag)]);
    if (deployed.code !== 0) throw new Error(`first deploy failed: ${deployed.stderr}`);
  }
  return { shop, roll };
}

let analysis: ReturnType<typeof analysisBench> | undefined;
if (wanted("analysis")) {
  console.log("\nanalysis: decision rules side by side (seeded simulation)");
  analysis = analysisBench({ quick: values.quick });
}

if (onSandbox && wanted("startup")) await attempt("startup", async () => record(await startup(runs.short)));

if (onSandbox && (wanted("status") || wanted("rollback-inflight"))) {
  const cluster = await startBenchCluster({ traffic: false });
  try {
    const { shop, roll } = await deployApps(cluster);
    for (const latencyMs of latencies) {
      cluster.setLatency(latencyMs);
      if (wanted("status"))
        await attempt(`status at ${latencyMs} ms`, async () =>
          record(await status(cluster, shop, latencyMs, runs.short)),
        );
      if (wanted("rollback-inflight"))
        await attempt(`rollback-inflight at ${latencyMs} ms`, async () =>
          record(await rollbackInflight(cluster, roll, latencyMs, runs.long)),
        );
    }
  } finally {
    await cluster.stop();
  }
}

if (onCluster && clusterKubeconfig) {
  console.log(`\nreal control plane (${clusterKubeconfig}): ${REAL_CLUSTER_LATENCY}`);
  await attempt(
    "real cluster",
    async () => {
      const cluster = await startRealBenchCluster(clusterKubeconfig);
      // Interrupted, the bench still deletes its namespace (and so its pods) from the shared cluster.
      const interrupted = (signal: NodeJS.Signals) => {
        console.log(`${signal}: deleting namespace ${cluster.namespace}`);
        void cluster.stop().finally(() => process.exit(130));
      };
      process.once("SIGINT", interrupted).once("SIGTERM", interrupted);
      try {
        if (guardWanted) {
          // One series per --guard-lease value, side by side, each in a namespace (and CronJob) of its own.
          const leases = values["guard-lease"].split(",");
          const guards: Record<string, unknown>[] = [];
          await Promise.all(
            leases.map((leaseDuration, index) =>
              attempt(
                `guard (lease ${leaseDuration}) on the real cluster`,
                async () => {
                  const registry = await requireRegistry();
                  const own = index === 0 ? undefined : await startRealBenchCluster(clusterKubeconfig);
                  try {
                    const guard = await guardTrials(own ?? cluster, clusterKubeconfig, {
                      trials: Number(values["guard-trials"]),
                      leaseDuration,
                      registry,
                    });
                    record(guard.result, real.results);
                    guards.push({ image: guard.image, leaseDuration, trials: guard.trials });
                  } finally {
                    await own?.stop();
                  }
                },
                real.notes,
              ),
            ),
          );
          real.extra = { ...real.extra, guard: guards };
        }
        if (!wanted("status") && !wanted("rollback-inflight")) return;
        const { shop, roll } = await deployApps(cluster);
        const path = `/apis/apps/v1/namespaces/${cluster.namespace}/deployments/shop`;
        const roundTrip = await cluster.roundTrip(path, 20);
        real.extra = {
          ...real.extra,
          server: cluster.server,
          serverVersion: cluster.serverVersion,
          apiRoundTripMs: roundTrip,
        };
        console.log(
          `${cluster.server} (${cluster.serverVersion}), namespace ${cluster.namespace}: one GET of a Deployment as the ServiceAccount takes ${roundTrip.median.toFixed(1)} ms (${roundTrip.p25.toFixed(1)}–${roundTrip.p75.toFixed(1)}) from this process`,
        );
        if (wanted("status"))
          await attempt(
            "status on the real cluster",
            async () => record(await status(cluster, shop, undefined, runs.short), real.results),
            real.notes,
          );
        if (wanted("rollback-inflight"))
          await attempt(
            "rollback-inflight on the real cluster",
            async () => record(await rollbackInflight(cluster, roll, undefined, runs.long), real.results),
            real.notes,
          );
      } finally {
        process.off("SIGINT", interrupted).off("SIGTERM", interrupted);
        await cluster.stop();
      }
    },
    real.notes,
  );
}

if (onSandbox && wanted("overhead")) {
  const cluster = await startBenchCluster({ workloads: false, traffic: false });
  const pods = await startInstantPods(cluster.sandbox.store, { controllers: true });
  try {
    const fast = await cluster.writeConfig("fast", OVERHEAD_CONFIG);
    const deployed = await cluster.grayctl(fast, ["rollout", "--image", demoImage("v1")]);
    if (deployed.code !== 0) throw new Error(`first deploy failed: ${deployed.stderr}`);
    for (const latencyMs of latencies) {
      cluster.setLatency(latencyMs);
      await attempt(`overhead at ${latencyMs} ms`, async () =>
        record(await overhead(cluster, fast, latencyMs, runs.long)),
      );
    }
  } finally {
    await pods.stop();
    await cluster.stop();
  }
}

if (onSandbox && wanted("scale")) {
  // Without the Deployment controllers: their resync copies every pod of the
  // store several times a second, which at 500 pods would be what is measured.
  const cluster = await startBenchCluster({ workloads: false, traffic: false });
  const pods = await startInstantPods(cluster.sandbox.store, { controllers: false });
  try {
    const runner = await bundleGateRunner(cluster.dir);
    for (const latencyMs of latencies) {
      cluster.setLatency(latencyMs);
      await attempt(`scale at ${latencyMs} ms`, async () =>
        record(await scale(cluster, pods, runner, latencyMs, runs.long)),
      );
    }
  } finally {
    await pods.stop();
    await cluster.stop();
  }
}

// Only when named: it needs three sandboxes and a release in flight in each per run.
if (onSandbox && values.only?.split(",").includes("waves-rollback")) {
  await attempt("waves-rollback", async () => {
    const result = await wavesRollback(runs.short);
    const line = (label: string, s: { median: number; p95: number; min: number; max: number }) =>
      `  ${label}: median ${s.median.toFixed(0)} ms, p95 ${s.p95.toFixed(0)} ms (min ${s.min.toFixed(0)}, max ${s.max.toFixed(0)})`;
    console.log(`\nwaves-rollback: grayctl rollback --all across three sandboxes, ${result.runs} runs`);
    console.log(line("spawn → last target's router write (as the sandboxes saw it)", result.toLastRouterWriteMs));
    console.log(line("grayctl's own lastStableAfterMs (from its process start)", result.reportedLastStableAfterMs));
    console.log(line("spawn → exit", result.commandMs));
    notes.push(
      `waves-rollback: rollback --all across 3 sandboxes, ${result.runs} runs: spawn → last router write median ${result.toLastRouterWriteMs.median.toFixed(0)} ms, p95 ${result.toLastRouterWriteMs.p95.toFixed(0)} ms; spawn → exit median ${result.commandMs.median.toFixed(0)} ms`,
    );
  });
}

if (onSandbox && wanted("build-noop")) {
  const missing = await missingBuildParts();
  if (missing) {
    notes.push(`build-noop skipped: ${missing}`);
    console.log(`\nbuild-noop: skipped — ${missing}`);
  } else await attempt("build-noop", async () => record(await buildNoop(runs.long)));
}

const after = machine();
console.log("");
if (onSandbox) {
  printTable(results, true);
  for (const note of notes) console.log(note);
}
if (onCluster) {
  console.log(`\nreal control plane — ${REAL_CLUSTER_LATENCY}:`);
  printTable(real.results, true);
  for (const r of real.results) if (r.note) console.log(`${r.case}: ${r.note}`);
  for (const note of real.notes) console.log(note);
}
console.log(`load average before ${before.loadAverage.join(" ")}, after ${after.loadAverage.join(" ")}`);
console.log(`\nFor the README's Performance table:\n\n${markdownTable([...results, ...real.results])}\n`);

// Only a full run replaces the figures the README quotes: the sandbox's part
// (every case at 0, 5 and 50 ms) and the real cluster's (both its cases) each
// replace their own part of bench/results.json and keep the other.
const date = new Date().toISOString();
const runMachine = { ...before, loadAfter: after.loadAverage };
const sandboxPart = onSandbox ? { date, machine: runMachine, latencies, notes, results } : undefined;
const clusterPart = onCluster
  ? {
      date,
      machine: runMachine,
      ...real.extra,
      latency: REAL_CLUSTER_LATENCY,
      notes: real.notes,
      results: real.results,
    }
  : undefined;
const sandboxFull = !values.quick && values.only === undefined && values.latencies === "0,5,50";
const clusterFull = !values.quick && wanted("status") && wanted("rollback-inflight");
const partial = (sandboxPart && !sandboxFull) || (clusterPart && !clusterFull);
const file = join(ROOT, partial ? "bench/results.partial.json" : "bench/results.json");
if (!analysisOnly) {
  const previous = partial ? {} : readPrevious(file);
  const {
    realCluster: previousCluster,
    analysis: previousAnalysis,
    guard: previousGuard,
    ...previousSandbox
  } = previous;
  const written = {
    ...(sandboxPart ?? previousSandbox),
    analysis: partial ? undefined : previousAnalysis,
    realCluster: clusterPart ?? previousCluster,
    guard: partial ? undefined : previousGuard,
  };
  writeFileSync(file, `${JSON.stringify(written, null, 2)}\n`);
  console.log(
    `wrote ${file}${!partial && (!sandboxPart || !clusterPart) ? ` (${sandboxPart ? "sandbox" : "real cluster"} part; the other kept)` : ""}`,
  );
}
// The simulation is seeded and machine-independent: its figures always go to
// bench/results.json (a --quick run's only to the partial file), the rest kept.
if (analysis) {
  const target = join(ROOT, values.quick ? "bench/results.partial.json" : "bench/results.json");
  writeFileSync(target, `${JSON.stringify({ ...readPrevious(target), analysis }, null, 2)}\n`);
  console.log(`wrote analysis to ${target}`);
}

// The guard's trials take many minutes and run only when named: a run of every series it was
// given (10 trials or more) replaces the "guard" part of bench/results.json, which the README
// quotes, and keeps the rest; other runs leave it to bench/results.partial.json.
const guardSeries = (real.extra.guard ?? []) as { trials: unknown[] }[];
const guardResults = real.results.filter((result) => result.case === "guard-orphan");
if (
  guardWanted &&
  guardSeries.length === values["guard-lease"].split(",").length &&
  guardSeries.every((series) => series.trials.length >= 10)
) {
  const main = join(ROOT, "bench/results.json");
  const guard = { date, machine: runMachine, results: guardResults, series: guardSeries };
  writeFileSync(main, `${JSON.stringify({ ...readPrevious(main), guard }, null, 2)}\n`);
  console.log(`wrote the guard part of ${main}`);
}

function readPrevious(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return {};
  }
}
