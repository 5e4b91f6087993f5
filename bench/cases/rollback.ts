// rollback-inflight: a rollout sits at its first step when the process running
// it hangs (SIGSTOP: a stuck CI job holding the Lease). From spawning the
// command to the router write that sends 100 % to stable, as the API sees it:
// `grayctl rollback --force` against what an engineer would type instead
// (`kubectl annotate` the canary weight to 0, then `kubectl scale` the canary to 0).
// The Lease lasts 5 s, so that a forced takeover's wait before it re-asserts (one
// lease duration, decision 007) keeps the run short; it comes after the router write.
// The write is seen in the sandbox's store, or on the real cluster in a mirror
// of the API server's watch; there the requests are counted in separate runs
// through the counting path (each during a hung rollout of its own).
import { type ChildProcess, spawn } from "node:child_process";
import { R } from "../../sandbox/resources.ts";
import { type BenchTarget, demoImage, until } from "../lib/cluster.ts";
import { type CaseResult, interleaved, type Run, requestsOf, side, stats } from "../lib/measure.ts";
import { countNote } from "../lib/real-cluster.ts";

const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";

// scaleDownDelay 0s: the figure is the route write, which never waits; the canary's
// scale-down after it would only make every run half a minute longer.
export const ROLLBACK_CONFIG = `app: roll
deployment:
  replicas: 1
traffic:
  router: nginx
  host: roll.local
rollout:
  steps: [10, 50, 100]
  interval: 10m
  readyTimeout: 60s
  leaseDuration: 5s
  scaleDownDelay: 0s
`;

/** Counting runs after their warm-up, where the timed runs are not counted: each needs a hung rollout. */
const COUNT_RUNS = 2;

interface Measured {
  run: Run;
  requests?: number;
  toWriteMs: number;
}

export async function rollbackInflight(
  target: BenchTarget,
  config: string,
  latencyMs: number | undefined,
  runs: number,
) {
  const { store, namespace } = target;
  let image = 0;
  const canaryWeight = () => store.get(R.ingresses, namespace, "roll-canary")?.metadata.annotations?.[WEIGHT];
  const recordedWeight = () => {
    const data = store.get(R.configmaps, namespace, "roll-grayctl")?.data as Record<string, string> | undefined;
    const raw = data?.state;
    return raw ? (JSON.parse(raw) as { weight?: number; image?: string }) : undefined;
  };

  /** A rollout of a new image at 10 %, its process stopped; `act` runs through `via`; SIGKILLed after. */
  const duringHungRollout = async (via: BenchTarget, act: (via: BenchTarget) => Promise<Run>): Promise<Measured> => {
    const tag = `v2-bench${++image}`;
    const { GRAYCTL_UNBUNDLED: _, ...env } = process.env;
    const rollout: ChildProcess = spawn(
      process.execPath,
      target.grayctlArgs(config, ["rollout", "--supersede", "--force", "--image", demoImage(tag)]),
      { env: { ...env, GRAYCTL_ACTOR: "bench" }, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    rollout.stderr?.on("data", (chunk) => (stderr = (stderr + chunk).slice(-2000)));
    const exited = new Promise((resolve) => rollout.on("exit", resolve));
    try {
      await until(
        `the rollout of ${tag} at 10 %`,
        () => {
          if (rollout.exitCode !== null) throw new Error(`the rollout of ${tag} exited ${rollout.exitCode}: ${stderr}`);
          return (
            canaryWeight() === "10" && recordedWeight()?.weight === 10 && recordedWeight()?.image === demoImage(tag)
          );
        },
        120_000,
      );
      rollout.kill("SIGSTOP");
      let writeAt: number | undefined;
      const stopWatch = store.watch(R.ingresses, namespace, undefined, (event) => {
        if (event.object.metadata.name === "roll-canary" && event.object.metadata.annotations?.[WEIGHT] === "0")
          writeAt ??= performance.now();
      });
      const started = performance.now();
      const { value: run, requests } = await via.counting(() => act(via));
      stopWatch();
      if (writeAt === undefined) throw new Error(`no router write seen (exit ${run.code}): ${run.stderr}`);
      return { run, requests, toWriteMs: writeAt - started };
    } finally {
      rollout.kill("SIGKILL");
      await exited;
    }
  };

  const manual = async (via: BenchTarget): Promise<Run> => {
    const annotate = await via.kubectl(["annotate", "ingress", "roll-canary", `${WEIGHT}=0`, "--overwrite"]);
    const scale = await via.kubectl(["scale", "deploy", "roll-canary", "--replicas=0"]);
    const failed = [annotate, scale].find((r) => r.code !== 0);
    return {
      ms: annotate.ms + scale.ms,
      rssMb: Math.max(annotate.rssMb ?? 0, scale.rssMb ?? 0) || undefined,
      code: failed?.code ?? 0,
      stdout: annotate.stdout + scale.stdout,
      stderr: annotate.stderr + scale.stderr,
    };
  };

  const sides = (via: BenchTarget) => [
    () => duringHungRollout(via, (v) => v.grayctl(config, ["rollback", "--force"])),
    () => duringHungRollout(via, manual),
  ];
  const [grayctl, kubectl] = await interleaved(runs, sides(target));
  // The counting runs' times went through the counting path: only their request counts are kept.
  const counts = target.counter && (await interleaved(COUNT_RUNS, sides(target.counter)));
  const describe = (label: string, measured: Measured[], counted: Measured[] = measured) => ({
    ...side(
      label,
      measured.map((m) => m.run),
      requestsOf(label, counted),
    ),
    extra: { toRouterWriteMs: stats(measured.map((m) => m.toWriteMs)) },
  });
  const subject = describe("grayctl rollback --force", grayctl, counts?.[0]);
  const baseline = describe("kubectl annotate + kubectl scale", kubectl, counts?.[1]);
  const result: CaseResult = {
    case: "rollback-inflight",
    target: target.name,
    latencyMs,
    subject,
    baseline,
    ratio: stats(grayctl.map((m) => m.toWriteMs)).median / baseline.ms.median,
    ratioOf: "grayctl's router write / the manual sequence's wall time",
    note: counts && countNote(COUNT_RUNS),
  };
  return result;
}
