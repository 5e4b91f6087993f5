// status: `grayctl status` against `kubectl get deploy APP -o json` on a
// deployed app: wall time, peak RSS and API requests per run.
import type { BenchCluster } from "../lib/cluster.ts";
import { type CaseResult, countedSide, interleaved, ratio } from "../lib/measure.ts";

export async function status(cluster: BenchCluster, config: string, latencyMs: number, runs: number) {
  const [grayctl, kubectl] = await interleaved(runs, [
    () => cluster.counted(() => cluster.grayctl(config, ["status"])),
    () => cluster.counted(() => cluster.kubectl(["get", "deploy", "shop", "-o", "json"])),
  ]);
  const subject = countedSide("grayctl status", grayctl);
  const baseline = countedSide("kubectl get deploy -o json", kubectl);
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
