// scale: the health gate over 10, 100 and 500 ready canary pods (each pod's
// /healthz through the API server's pod proxy, 8 at a time): time per gate and
// the peak RSS of the process, against listing the same pods with kubectl (the
// one read every gate starts with).
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { R } from "../../sandbox/resources.ts";
import { type BenchCluster, ROOT } from "../lib/cluster.ts";
import type { InstantPods } from "../lib/instant-pods.ts";
import { type CaseResult, interleaved, side, stats, timed } from "../lib/measure.ts";

export const POD_COUNTS = [10, 100, 500];

/** Bundles the gate runner as the CLI is bundled (scripts/bundle.mjs), so its memory is the shipped CLI's. */
export async function bundleGateRunner(dir: string): Promise<string> {
  const outdir = join(dir, "gate-runner");
  const built = spawnSync(
    process.execPath,
    [join(ROOT, "scripts/bundle.mjs"), join(ROOT, "bench/lib/gate-once.ts"), outdir],
    {
      encoding: "utf8",
    },
  );
  if (built.status !== 0) throw new Error(`bundling the gate runner failed: ${built.stderr}`);
  return join(outdir, "gate-once.mjs");
}

export async function scale(
  cluster: BenchCluster,
  pods: InstantPods,
  runner: string,
  latencyMs: number,
  runs: number,
): Promise<CaseResult[]> {
  const { store } = cluster.sandbox;
  const results: CaseResult[] = [];
  for (const count of POD_COUNTS) {
    const app = `scale${count}`;
    const labels = { app, track: "canary" };
    if (store.list(R.pods, "default", `app=${app}`).length === 0)
      for (let i = 0; i < count; i++)
        store.create(R.pods, "default", pods.readyPod("default", `${app}-${i}`, labels) as never);
    const gateRun = async (gates: number): Promise<{ gateMs: number[]; maxRssMb: number; cpuMs: number }> => {
      const run = await timed(process.execPath, [runner, cluster.sandbox.kubeconfigPath, app, String(gates)]);
      if (run.code !== 0) throw new Error(`gate runner exited ${run.code}: ${run.stderr}`);
      return JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}");
    };
    await gateRun(1); // warms the compile cache
    // The memory of a process that gates once, as a rollout step does; V8 grows its
    // heap over back-to-back gates rather than collect, which the timed process shows.
    const once = await gateRun(1);
    // In the timed process, the first gate opens the connections; the others are timed.
    const measured = await gateRun(runs + 1);
    const gate = stats(measured.gateMs.slice(1));
    const [listing] = await interleaved(runs, [
      () => cluster.kubectl(["get", "pods", "-l", `app=${app},track=canary`, "-o", "json"]),
    ]);
    const baseline = side(`kubectl get pods (${count})`, listing);
    results.push({
      case: "scale",
      latencyMs,
      subject: {
        label: `health gate, ${count} pods`,
        ms: gate,
        rssMb: stats([once.maxRssMb]),
        extra: {
          pods: count,
          rssMbAfterBackToBackGates: measured.maxRssMb,
          // The whole process (start-up included) over all its gates: the rest of a gate is waiting for the API.
          cpuMsPerGate: measured.cpuMs / measured.gateMs.length,
        },
      },
      baseline,
      ratio: gate.median / baseline.ms.median,
      ratioOf: "time per gate / one kubectl listing",
    });
  }
  return results;
}
