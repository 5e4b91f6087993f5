// waves-rollback (issue 22): `grayctl rollback --all` across three sandboxes
// (three API servers behind one kubeconfig, a context each), each with a canary
// in flight at 10 % whose rollout process was killed. The figure is the time from
// spawning the command to the LAST target's router write that sends 100 % to
// stable, as each sandbox's store sees it; beside it the command's wall time and
// the figure grayctl reports itself (lastStableAfterMs, from its own start).
// Runs only when named (`npm run bench -- --only waves-rollback`); prints
// figures and asserts nothing about time.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { type Sandbox, startSandbox } from "../../sandbox/index.ts";
import { R } from "../../sandbox/resources.ts";
import { commandRunners, demoImage, until } from "../lib/cluster.ts";
import { type Stats, stats } from "../lib/measure.ts";

const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";
const TARGETS = ["eu", "us", "ap"] as const;

// One wave of three; a long interval holds each canary at its first step. scaleDownDelay 0s: the figure is
// the router writes, and the canary's scale-down after them would only make every run longer.
const CONFIG = `app: roll
deployment: { replicas: 1 }
traffic: { router: nginx, host: roll.local }
rollout: { steps: [10, 50, 100], interval: 10m, readyTimeout: 60s, leaseDuration: 5s, scaleDownDelay: 0s }
targets:
${TARGETS.map((name) => `  - { name: ${name}, context: ${name} }`).join("\n")}
waves:
  - { targets: [${TARGETS.join(", ")}] }
`;

export interface WavesRollbackResult {
  case: "waves-rollback";
  runs: number;
  /** Spawn → the last target's router write, as the sandboxes' stores saw it. */
  toLastRouterWriteMs: Stats & { p95: number };
  /** Spawn → exit. */
  commandMs: Stats & { p95: number };
  /** grayctl's own figure: ms from its process start to the last target's traffic-on-stable. */
  reportedLastStableAfterMs: Stats & { p95: number };
}

export async function wavesRollback(runs: number): Promise<WavesRollbackResult> {
  const dir = await mkdtemp(join(tmpdir(), "grayctl-bench-waves-"));
  const sandboxes: Sandbox[] = [];
  try {
    sandboxes.push(...(await Promise.all(TARGETS.map(() => startSandbox({ traffic: false })))));
    const kubeconfig = join(dir, "kubeconfig");
    await writeFile(kubeconfig, combinedKubeconfig(sandboxes), { mode: 0o600 });
    const config = join(dir, "grayctl.yaml");
    await writeFile(config, CONFIG);
    const { grayctl, grayctlArgs } = commandRunners(kubeconfig, dir);
    const first = await grayctl(config, ["rollout", "--image", demoImage("v1")]);
    if (first.code !== 0) throw new Error(`first deploy failed: ${first.stderr}`);
    const weightOf = (sandbox: Sandbox) =>
      sandbox.store.get(R.ingresses, "default", "roll-canary")?.metadata.annotations?.[WEIGHT];

    const once = async (index: number) => {
      // A release in flight at 10 % in all three, its process gone (a CI job killed).
      const tag = `v2-waves${index}`;
      const { GRAYCTL_UNBUNDLED: _, ...env } = process.env;
      const rollout: ChildProcess = spawn(
        process.execPath,
        grayctlArgs(config, ["rollout", "--image", demoImage(tag)]),
        {
          env: { ...env, GRAYCTL_ACTOR: "bench" },
          stdio: ["ignore", "ignore", "ignore"],
        },
      );
      const exited = new Promise((resolve) => rollout.on("exit", resolve));
      try {
        await until(
          `every target's canary of ${tag} at 10 %`,
          () => sandboxes.every((s) => weightOf(s) === "10"),
          120_000,
        );
      } finally {
        rollout.kill("SIGKILL");
        await exited;
      }
      // Each sandbox's first weight-0 write: a later confirmation (the fenced write) does not count.
      const writes: (number | undefined)[] = sandboxes.map(() => undefined);
      const stops = sandboxes.map((sandbox, at) =>
        sandbox.store.watch(R.ingresses, "default", undefined, (event) => {
          if (event.object.metadata.name === "roll-canary" && event.object.metadata.annotations?.[WEIGHT] === "0")
            writes[at] ??= performance.now();
        }),
      );
      const started = performance.now();
      const run = await grayctl(config, ["rollback", "--all", "-o", "json"]);
      for (const stop of stops) stop();
      if (run.code !== 0) throw new Error(`rollback --all exited ${run.code}: ${run.stderr}${run.stdout}`);
      if (writes.some((at) => at === undefined) || !sandboxes.every((s) => weightOf(s) === "0"))
        throw new Error(`not every target's traffic reached stable: ${run.stdout}`);
      const result = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as { lastStableAfterMs: number };
      return {
        toLast: Math.max(...(writes as number[])) - started,
        command: run.ms,
        reported: result.lastStableAfterMs,
      };
    };

    await once(0); // warm-up: file caches, the bundle's first load
    const measured = [];
    for (let index = 1; index <= runs; index++) measured.push(await once(index));
    return {
      case: "waves-rollback",
      runs,
      toLastRouterWriteMs: withP95(measured.map((m) => m.toLast)),
      commandMs: withP95(measured.map((m) => m.command)),
      reportedLastStableAfterMs: withP95(measured.map((m) => m.reported)),
    };
  } finally {
    await Promise.all(sandboxes.map((sandbox) => sandbox.stop()));
    await rm(dir, { recursive: true, force: true });
  }
}

function withP95(values: number[]): Stats & { p95: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * 0.95;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return { ...stats(values), p95: sorted[low] + (sorted[high] - sorted[low]) * (position - low) };
}

function combinedKubeconfig(sandboxes: Sandbox[]): string {
  const entries = sandboxes.map((sandbox, index) => {
    const name = TARGETS[index];
    return {
      cluster: { name, cluster: { server: sandbox.url, "insecure-skip-tls-verify": true } },
      user: { name, user: { token: sandbox.token } },
      context: { name, context: { cluster: name, user: name, namespace: "default" } },
    };
  });
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: entries.map((e) => e.cluster),
    users: entries.map((e) => e.user),
    contexts: entries.map((e) => e.context),
    "current-context": TARGETS[0],
  });
}
