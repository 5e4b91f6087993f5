// overhead: a 5-step rollout with zero intervals and pods that are ready at
// once (bench/lib/instant-pods.ts), so that what remains is grayctl's own
// work: wall time and API requests per step, against the writes an engineer
// would make by hand for the same five steps (scale the canary, set its weight).
import type { BenchCluster } from "../lib/cluster.ts";
import { demoImage } from "../lib/cluster.ts";
import { type CaseResult, countedSide, interleaved, type Run } from "../lib/measure.ts";

const WEIGHTS = [20, 40, 60, 80, 100];
const REPLICAS = 2;

// scaleDownDelay 0s: like the zero interval, a configured wait is not grayctl's overhead.
export const OVERHEAD_CONFIG = `app: fast
deployment:
  replicas: ${REPLICAS}
traffic:
  router: nginx
  host: fast.local
rollout:
  steps: [${WEIGHTS.join(", ")}]
  interval: 0s
  readyTimeout: 30s
  scaleDownDelay: 0s
`;

export async function overhead(cluster: BenchCluster, config: string, latencyMs: number, runs: number) {
  let image = 0;
  const manual = async (): Promise<Run> => {
    let ms = 0;
    for (const weight of WEIGHTS) {
      const replicas = Math.max(1, Math.ceil((REPLICAS * weight) / 100));
      for (const args of [
        ["scale", "deploy", "fast-canary", `--replicas=${replicas}`],
        ["annotate", "ingress", "fast-canary", `nginx.ingress.kubernetes.io/canary-weight=${weight}`, "--overwrite"],
      ]) {
        const run = await cluster.kubectl(args);
        if (run.code !== 0) return run;
        ms += run.ms;
      }
    }
    return { ms, code: 0, stdout: "", stderr: "" };
  };
  const [grayctl, kubectl] = await interleaved(runs, [
    () => cluster.counted(() => cluster.grayctl(config, ["rollout", "--image", demoImage(`v-overhead${++image}`)])),
    () => cluster.counted(manual),
  ]);
  const subject = countedSide("grayctl rollout, 5 steps", grayctl);
  const baseline = countedSide("kubectl scale + annotate × 5", kubectl);
  subject.extra = { requestsPerStep: (subject.requests ?? 0) / WEIGHTS.length, msPerStep: subject.ms.median / 5 };
  baseline.extra = { requestsPerStep: (baseline.requests ?? 0) / WEIGHTS.length };
  const result: CaseResult = {
    case: "overhead",
    latencyMs,
    subject,
    baseline,
    ratio: subject.ms.median / baseline.ms.median,
    ratioOf: "wall time",
  };
  return result;
}
