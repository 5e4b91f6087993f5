// How long `grayctl rollback --force` takes from the moment it is started to
// the router write that puts 100 % of traffic on stable, against the sandbox
// (a responsive API on localhost), while a rollout runs in another process.
// Prints figures; asserts nothing about time.
// Run: npx tsc -p tsconfig.build.json && node_modules/.bin/node bench/rollback-latency.ts [runs]
import { performance } from "node:perf_hooks";
import { R } from "../sandbox/resources.ts";
import { demoImage, eventually, startSandboxApp } from "../test/helpers/sandbox-app.ts";

const runs = Number(process.argv[2] ?? 5);
const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";
const app = await startSandboxApp(`app: bench
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: bench.local
rollout:
  steps: [10, 50, 100]
  interval: 30s
  readyTimeout: 10s
  leaseDuration: 10s
`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const format = (xs: number[]) =>
  `median ${median(xs).toFixed(0)} ms, min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}`;

try {
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  if (first.code !== 0) throw new Error(`first deploy failed: ${first.stderr}`);
  const startup: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await app.grayctl(["--version"]);
    startup.push(performance.now() - t);
  }

  const toStable: number[] = [];
  const selfReported: number[] = [];
  const total: number[] = [];
  const exits: string[] = [];
  for (let run = 1; run <= runs; run++) {
    const rollout = app.spawn(["rollout", "--image", demoImage(`v2-bench${run}`)]);
    await eventually(
      "the rollout at 10 %",
      () => {
        const canary = app.sandbox.store.get(R.ingresses, "default", "bench-canary");
        return canary?.metadata.annotations?.[WEIGHT] === "10" && app.state()?.weight === 10;
      },
      60_000,
    );
    let stableAt: number | undefined;
    const stop = app.sandbox.store.watch(R.ingresses, "default", undefined, (event) => {
      if (event.object.metadata.name === "bench-canary" && event.object.metadata.annotations?.[WEIGHT] === "0")
        stableAt ??= performance.now();
    });
    const started = performance.now();
    const result = await app.grayctl(["rollback", "--force", "-o", "json"]);
    const ended = performance.now();
    stop();
    const outcome = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "{}");
    if (stableAt === undefined)
      throw new Error(`run ${run}: no router write seen (exit ${result.code}): ${result.stderr}`);
    toStable.push(stableAt - started);
    selfReported.push(outcome.stableAfterMs);
    total.push(ended - started);
    const old = await rollout.done;
    exits.push(`${result.code}/${old.code}`);
    console.log(
      `run ${run}: spawn → router write ${(stableAt - started).toFixed(0)} ms (self-reported ${outcome.stableAfterMs} ms since process start), command ${(ended - started).toFixed(0)} ms, exits rollback/rollout ${result.code}/${old.code}`,
    );
  }
  console.log(`\n${runs} runs on ${process.platform}/${process.arch}, Node ${process.version}`);
  console.log(`grayctl --version (Node start + CLI load):   ${format(startup)}`);
  console.log(`rollback spawn → 100 % stable router write:  ${format(toStable)}`);
  console.log(`  as measured inside the process:            ${format(selfReported)}`);
  console.log(`rollback command end to end (incl. record):  ${format(total)}`);
  console.log(`exit codes rollback/rollout: ${exits.join(" ")}`);
} finally {
  await app.stop();
}
