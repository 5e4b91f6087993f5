// status: `grayctl status` against `kubectl get deploy APP -o json` on a
// deployed app: wall time, peak RSS and API requests per run.
import type { BenchCluster } from "../lib/cluster.ts";
import { type CaseResult, interleaved, type Run, ratio, side } from "../lib/measure.ts";

export async function status(cluster: BenchCluster, config: string, latencyMs: number, runs: number) {
  const counted = async (run: () => Promise<Run>) => {
    const { value, requests } = await cluster.counting(run);
    return { run: value, requests };
  };
  const [grayctl, kubectl] = await interleaved(runs, [
    () => counted(() => cluster.grayctl(config, ["status"])),
    () => counted(() => cluster.kubectl(["get", "deploy", "shop", "-o", "json"])),
  ]);
  const subject = side(
    "grayctl status",
    grayctl.map((r) => r.run),
    grayctl.map((r) => r.requests),
  );
  const baseline = side(
    "kubectl get deploy -o json",
    kubectl.map((r) => r.run),
    kubectl.map((r) => r.requests),
  );
  const result: CaseResult = {
    case: "status",
    latencyMs,
    subject,
    baseline,
    ratio: ratio(subject, baseline),
    ratioOf: "wall time",
  };
  return result;
}
