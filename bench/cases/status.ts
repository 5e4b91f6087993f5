// status: `grayctl status` (the bundle, and the single binary) against
// `kubectl get deploy APP -o json` on a deployed app: wall time, peak RSS and API requests per run. On the real
// cluster the timed runs go straight to the API server and the requests are
// counted in separate runs through its counting path.
import type { BenchTarget } from "../lib/cluster.ts";
import { type CaseResult, countedSide, interleaved, ratio } from "../lib/measure.ts";
import { countNote } from "../lib/real-cluster.ts";

/** Counting runs after their warm-up, where the timed runs are not counted. */
export const COUNT_RUNS = 3;

export async function status(target: BenchTarget, config: string, latencyMs: number | undefined, runs: number) {
  const sides = (via: BenchTarget) => [
    () => via.counted(() => via.grayctl(config, ["status"])),
    () => via.counted(() => via.kubectl(["get", "deploy", "shop", "-o", "json"])),
    () => via.counted(() => via.binary(config, ["status"])),
  ];
  const [grayctl, kubectl, binary] = await interleaved(runs, sides(target));
  const counts = target.counter && (await interleaved(COUNT_RUNS, sides(target.counter)));
  const subject = countedSide("grayctl status", grayctl, counts?.[0]);
  const baseline = countedSide("kubectl get deploy -o json", kubectl, counts?.[1]);
  const single = countedSide("grayctl-linux-x64 status", binary, counts?.[2]);
  const common = {
    case: "status",
    target: target.name,
    latencyMs,
    ratioOf: "wall time",
    note: counts && countNote(COUNT_RUNS),
  } as const;
  const binaryResult: CaseResult = { ...common, subject: single, baseline, ratio: ratio(single, baseline) };
  const result: CaseResult = {
    case: "status",
    target: target.name,
    latencyMs,
    subject,
    baseline,
    ratio: ratio(subject, baseline),
    ratioOf: "wall time",
    note: counts && countNote(COUNT_RUNS),
  };
  return [result, binaryResult];
}
