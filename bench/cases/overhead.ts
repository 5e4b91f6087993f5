// overhead: a 5-step rollout with zero intervals and pods that are ready at
// once (bench/lib/instant-pods.ts), so that what remains is grayctl's own
// work: wall time and API requests per step, against the writes an engineer
// would make by hand for the same five steps (scale the canary, set its weight).
import type { BenchCluster } from "../lib/cluster.ts";
import { demoImage } from "../lib/cluster.ts";
import { type CaseResult, interleaved, type Run, side } from "../lib/measure.ts";

const WEIGHTS = [20, 40, 60, 80, 100];
const REPLICAS = 2;

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
`;

export async function overhead(cluster: BenchCluster, config: string, latencyMs: number, runs: number) {
  let image = 0;
  const counted = async (run: () => Promise<Run>) => {
    const { value, requests } = await cluster.counting(run);
    return { run: value, requests };
  };
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
    () => counted(() => cluster.grayctl(config, ["rollout", "--image", demoImage(`v-overhead${++image}`)])),
    () => counted(manual),
  ]);
  const subject = side(
    "grayctl rollout, 5 steps",
    grayctl.map((r) => r.run),
    grayctl.map((r) => r.requests),
  );
  const baseline = side(
    "kubectl scale + annotate × 5",
    kubectl.map((r) => r.run),
    kubectl.map((r) => r.requests),
  );
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
