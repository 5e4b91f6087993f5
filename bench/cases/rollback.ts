// rollback-inflight: a rollout sits at its first step when the process running
// it hangs (SIGSTOP: a stuck CI job holding the Lease). From spawning the
// command to the router write that sends 100 % to stable, as the API sees it:
// `grayctl rollback --force` against what an engineer would type instead
// (`kubectl annotate` the canary weight to 0, then `kubectl scale` the canary to 0).
// The Lease lasts 5 s, so that a forced takeover's wait before it re-asserts (one
// lease duration, decision 007) keeps the run short; it comes after the router write.
import { type ChildProcess, spawn } from "node:child_process";
import { R } from "../../sandbox/resources.ts";
import { type BenchCluster, demoImage, until } from "../lib/cluster.ts";
import { type CaseResult, interleaved, type Run, side, stats } from "../lib/measure.ts";

const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";

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
`;

interface Measured {
  run: Run;
  requests: number;
  toWriteMs: number;
}

export async function rollbackInflight(cluster: BenchCluster, config: string, latencyMs: number, runs: number) {
  const { store } = cluster.sandbox;
  let image = 0;
  const canaryWeight = () => store.get(R.ingresses, "default", "roll-canary")?.metadata.annotations?.[WEIGHT];
  const recordedWeight = () => {
    const data = store.get(R.configmaps, "default", "roll-grayctl")?.data as Record<string, string> | undefined;
    const raw = data?.state;
    return raw ? (JSON.parse(raw) as { weight?: number; image?: string }) : undefined;
  };

  /** A rollout of a new image at 10 %, its process stopped; SIGKILLed after `act`. */
  const duringHungRollout = async (act: () => Promise<Run>): Promise<Measured> => {
    const tag = `v2-bench${++image}`;
    const { GRAYCTL_UNBUNDLED: _, ...env } = process.env;
    const rollout: ChildProcess = spawn(
      process.execPath,
      cluster.grayctlArgs(config, ["rollout", "--supersede", "--force", "--image", demoImage(tag)]),
      { env: { ...env, GRAYCTL_ACTOR: "bench" }, stdio: "ignore" },
    );
    const exited = new Promise((resolve) => rollout.on("exit", resolve));
    try {
      await until(
        `the rollout of ${tag} at 10 %`,
        () => canaryWeight() === "10" && recordedWeight()?.weight === 10 && recordedWeight()?.image === demoImage(tag),
        120_000,
      );
      rollout.kill("SIGSTOP");
      let writeAt: number | undefined;
      const stopWatch = store.watch(R.ingresses, "default", undefined, (event) => {
        if (event.object.metadata.name === "roll-canary" && event.object.metadata.annotations?.[WEIGHT] === "0")
          writeAt ??= performance.now();
      });
      const started = performance.now();
      const { value: run, requests } = await cluster.counting(act);
      stopWatch();
      if (writeAt === undefined) throw new Error(`no router write seen (exit ${run.code}): ${run.stderr}`);
      return { run, requests, toWriteMs: writeAt - started };
    } finally {
      rollout.kill("SIGKILL");
      await exited;
    }
  };

  const manual = async (): Promise<Run> => {
    const annotate = await cluster.kubectl(["annotate", "ingress", "roll-canary", `${WEIGHT}=0`, "--overwrite"]);
    const scale = await cluster.kubectl(["scale", "deploy", "roll-canary", "--replicas=0"]);
    const failed = [annotate, scale].find((r) => r.code !== 0);
    return {
      ms: annotate.ms + scale.ms,
      rssMb: Math.max(annotate.rssMb ?? 0, scale.rssMb ?? 0) || undefined,
      code: failed?.code ?? 0,
      stdout: annotate.stdout + scale.stdout,
      stderr: annotate.stderr + scale.stderr,
    };
  };

  const [grayctl, kubectl] = await interleaved(runs, [
    () => duringHungRollout(() => cluster.grayctl(config, ["rollback", "--force"])),
    () => duringHungRollout(manual),
  ]);
  const describe = (label: string, measured: Measured[]) => ({
    ...side(
      label,
      measured.map((m) => m.run),
      measured.map((m) => m.requests),
    ),
    extra: { toRouterWriteMs: stats(measured.map((m) => m.toWriteMs)) },
  });
  const subject = describe("grayctl rollback --force", grayctl);
  const baseline = describe("kubectl annotate + kubectl scale", kubectl);
  const result: CaseResult = {
    case: "rollback-inflight",
    latencyMs,
    subject,
    baseline,
    ratio: stats(grayctl.map((m) => m.toWriteMs)).median / baseline.ms.median,
    ratioOf: "grayctl's router write / the manual sequence's wall time",
  };
  return result;
}
