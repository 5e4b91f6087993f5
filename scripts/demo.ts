// `npm run demo [-- --output json]`: a canary release on this machine with
// nothing but `npm ci`. It starts the sandbox (the Kubernetes API stand-in whose
// pods are processes, and its front door, routing by the Ingress grayctl writes),
// deploys v1, then rolls out a good v2 (promoted) and a bad v3 that answers 20 %
// of requests with 500 (rolled back by its error rate, measured by the `pods`
// metrics provider on the pods' own /metrics), while a bounded load generator
// plays the users. It stops everything it started, also on Ctrl-C.
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startSandbox } from "../sandbox/index.ts";
import { R } from "../sandbox/resources.ts";
import { startLoad } from "../sandbox/traffic/paced-load.ts";
import { demoImageRef } from "../sandbox/demo-app/config.ts";
import { type DemoOutput, demoOutput } from "./demo/output.ts";
import { runGrayctl } from "./demo/run-grayctl.ts";

const USAGE = `usage: npm run demo [-- --output text|json]

Rolls out v2 (good: promoted) and v3 (20 % errors: rolled back) on a local
sandbox cluster, with users' traffic flowing. Needs nothing but \`npm ci\`.
  -o, --output json   one JSON event per line; the last line is the result`;

const APP = "demo";
const HOST = "demo.local";
// 100 req/s × 20 % × 3 s ≈ 60 canary requests in the first window: enough for
// minRequests 20 and for the decision rule to tell 20 % errors from stable's 0 %.
const RATE = 100;
const CONFIG = `app: ${APP}
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: ${HOST}
rollout:
  steps: [20, 50, 100]
  interval: 3s
  readyTimeout: 20s
  progressDeadline: 60s
  # The sandbox's front door applies weights at once; a real ingress controller
  # needs the default (30s) or its own sync time.
  scaleDownDelay: 1s
analysis:
  metrics:
    provider: pods
    minRequests: 20
    checks:
      - { name: error-rate, max: 0.01 }
      - { name: latency-p99, max: 0.5 }
`;
/** Every rollout has an end: past this grayctl is interrupted (it rolls back), then killed. */
const ROLLOUT_LIMIT_MS = 75_000;

const ROLLOUTS = [
  { version: "v2", tag: "v2", expect: "promoted", about: "a good version" },
  { version: "v3", tag: "v3-err20", expect: "rolled-back", about: "answers 20 % of requests with 500" },
] as const;

import type { RolloutResult } from "./demo/output.ts";

function parse(argv: string[]): "text" | "json" {
  const { values } = parseArgs({
    args: argv,
    options: { output: { type: "string", short: "o", default: "text" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.output !== "text" && values.output !== "json")
    throw new Error(`--output: "${values.output}" is not one of text, json`);
  return values.output;
}

async function demo(out: DemoOutput, signal: AbortSignal): Promise<RolloutResult[]> {
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), "grayctl-demo-"));
  const stops: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
  try {
    const sandbox = await startSandbox({ kubeconfigPath: join(dir, "kubeconfig"), workloads: { docker: false } });
    stops.push(() => sandbox.stop());
    const configPath = join(dir, "grayctl.yaml");
    await writeFile(configPath, CONFIG);
    out.say("sandbox", `sandbox API ${sandbox.url}, front door ${sandbox.frontDoorUrl} (host ${HOST})`, {
      api: sandbox.url,
      frontDoor: sandbox.frontDoorUrl,
    });
    const grayctl = (args: string[]) =>
      runGrayctl(["--kubeconfig", sandbox.kubeconfigPath, "--config", configPath, ...args], {
        cwd: dir,
        json: out.json,
        limitMs: ROLLOUT_LIMIT_MS,
        signal,
        onLine: out.forward,
      });
    const history = () => {
      const data = sandbox.store.get(R.configmaps, "default", `${APP}-grayctl`)?.data as Record<string, string>;
      return JSON.parse(data?.history ?? "[]") as {
        revision: number;
        image: string;
        outcome: string;
        reason?: string;
      }[];
    };

    out.say("step", "v1: nothing is deployed yet, so it goes straight to stable");
    const first = await grayctl(["rollout", "--image", demoImageRef("v1")]);
    if (first !== 0) throw new Error(`the first deploy of v1 exited ${first}; see its output above`);

    const results: RolloutResult[] = [];
    for (const rollout of ROLLOUTS) {
      if (signal.aborted) break;
      const image = demoImageRef(rollout.tag);
      out.say(
        "step",
        `${rollout.version} (${rollout.about}): canary 20 → 50 → 100 %, ${RATE} req/s of users through the front door`,
        { version: rollout.version, image },
      );
      const load = startLoad({ url: sandbox.frontDoorUrl!, host: HOST, rate: RATE, durationMs: ROLLOUT_LIMIT_MS });
      stops.push(() => load.stop());
      const exitCode = await grayctl(["rollout", "--image", image]);
      const seen = await load.stop();
      const release = history().findLast((entry) => entry.image === image);
      const result: RolloutResult = {
        version: rollout.version,
        image,
        expected: rollout.expect,
        outcome: release?.outcome ?? "unknown",
        reason: release?.reason,
        exitCode,
        revision: release?.revision,
        users: {
          sent: seen.sent,
          versions: seen.versions,
          appErrors: seen.appErrors,
          routingErrors: seen.routingErrors,
          failed: seen.failed,
        },
      };
      results.push(result);
      out.rolloutDone(result);
    }
    out.finish(results, performance.now() - started, signal.aborted);
    return results;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  }
}

async function main(): Promise<void> {
  let format: "text" | "json";
  try {
    format = parse(process.argv.slice(2));
  } catch (error) {
    console.error(`demo: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const bundle = fileURLToPath(new URL("../dist/bundle/grayctl.js", import.meta.url));
  if (process.env.GRAYCTL_UNBUNDLED !== "1" && !existsSync(bundle)) {
    console.error("demo: grayctl is not built yet (dist/bundle/grayctl.js); run `npm ci` or `npm run build` first");
    process.exit(2);
  }
  const out = demoOutput(format);
  // Ctrl-C: grayctl gets the signal too and rolls its canary back; the demo waits
  // for it (bounded), then stops the load, the pods and the sandbox.
  const controller = new AbortController();
  for (const name of ["SIGINT", "SIGTERM"] as const)
    process.on(name, () => {
      out.say("interrupted", `${name}: stopping the rollout, the load and the sandbox`);
      controller.abort();
    });
  const results = await demo(out, controller.signal);
  const asExpected = results.length === ROLLOUTS.length && results.every((r) => r.outcome === r.expected);
  process.exitCode = controller.signal.aborted ? 130 : asExpected ? 0 : 1;
}

main().catch((error) => {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
