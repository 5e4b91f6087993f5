// `npm run bench`: grayctl beside what it replaces, in one run on one machine —
// startup, status, rollback-inflight, overhead, scale and build-noop (issue 13),
// against the sandbox with a per-request API latency of 0, 5 and 50 ms. Each
// case runs once to warm up, then several times interleaved with its baseline;
// the figures are medians with their spread (p25–p75), and each case's ratio is
// to its baseline from the same run. Prints a table and writes bench/results.json
// (bench/results.partial.json for --quick, --only or other --latencies).
// Nothing here asserts anything about time.
//   npm run bench [-- --quick] [--only status,scale] [--latencies 0,5]
// The decision-rule simulation is a separate figure: node bench/analysis-simulation.ts
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildNoop, missingBuildParts } from "./cases/build-noop.ts";
import { OVERHEAD_CONFIG, overhead } from "./cases/overhead.ts";
import { ROLLBACK_CONFIG, rollbackInflight } from "./cases/rollback.ts";
import { bundleGateRunner, scale } from "./cases/scale.ts";
import { startup } from "./cases/startup.ts";
import { status } from "./cases/status.ts";
import { demoImage, ROOT, startBenchCluster } from "./lib/cluster.ts";
import { startInstantPods } from "./lib/instant-pods.ts";
import type { CaseResult } from "./lib/measure.ts";
import { machine, markdownTable, printTable } from "./lib/report.ts";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    latencies: { type: "string", default: "0,5,50" },
  },
});
const latencies = values.latencies.split(",").map(Number);
const wanted = (name: string) => !values.only || values.only.split(",").includes(name);
const runs = values.quick ? { short: 3, long: 2 } : { short: 10, long: 5 };

// The bench measures the sources as they are now, bundled as they ship.
const bundle = spawnSync(process.execPath, [join(ROOT, "scripts/bundle.mjs")], { encoding: "utf8" });
if (bundle.status !== 0) throw new Error(`bundling failed: ${bundle.stderr}`);

const before = machine();
console.log(
  `grayctl bench: ${before.cpus} × ${before.cpuModel}, ${before.memoryGb} GB, Node ${before.node}, load ${before.loadAverage.join(" ")}`,
);
const results: CaseResult[] = [];
const notes: string[] = [];
const record = (result: CaseResult | CaseResult[]) => {
  for (const r of [result].flat()) {
    results.push(r);
    printTable([r], false);
  }
};
/** A case that fails is noted and the run goes on: the other figures still count. */
const attempt = async (name: string, act: () => Promise<void>) => {
  try {
    await act();
  } catch (error) {
    const note = `${name} failed: ${(error as Error).message.split("\n").slice(0, 3).join(" / ")}`;
    notes.push(note);
    console.log(note);
  }
};

if (wanted("startup")) await attempt("startup", async () => record(await startup(runs.short)));

if (wanted("status") || wanted("rollback-inflight")) {
  const cluster = await startBenchCluster({ traffic: false });
  try {
    const shop = await cluster.writeConfig(
      "shop",
      "app: shop\ndeployment:\n  replicas: 2\ntraffic:\n  router: nginx\n",
    );
    const roll = await cluster.writeConfig("roll", ROLLBACK_CONFIG);
    for (const [config, tag] of [
      [shop, "v1"],
      [roll, "v1"],
    ]) {
      const deployed = await cluster.grayctl(config, ["rollout", "--image", demoImage(tag)]);
      if (deployed.code !== 0) throw new Error(`first deploy failed: ${deployed.stderr}`);
    }
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

if (wanted("overhead")) {
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

if (wanted("scale")) {
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

if (wanted("build-noop")) {
  const missing = await missingBuildParts();
  if (missing) {
    notes.push(`build-noop skipped: ${missing}`);
    console.log(`\nbuild-noop: skipped — ${missing}`);
  } else await attempt("build-noop", async () => record(await buildNoop(runs.long)));
}

const after = machine();
console.log("");
printTable(results, true);
for (const note of notes) console.log(note);
console.log(`load average before ${before.loadAverage.join(" ")}, after ${after.loadAverage.join(" ")}`);
console.log(`\nFor the README's Performance table:\n\n${markdownTable(results)}\n`);
// Only a full run replaces the figures the README quotes.
const partial = values.quick || values.only !== undefined || values.latencies !== "0,5,50";
const file = join(ROOT, partial ? "bench/results.partial.json" : "bench/results.json");
writeFileSync(
  file,
  `${JSON.stringify({ date: new Date().toISOString(), machine: { ...before, loadAfter: after.loadAverage }, latencies, notes, results }, null, 2)}\n`,
);
console.log(`wrote ${file}`);
