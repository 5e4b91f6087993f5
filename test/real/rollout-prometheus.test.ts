// Metric gates inside real rollouts, prometheus provider: a real Prometheus
// scrapes the sandbox's demo-app pods (1 s scrapes, targets from the file_sd
// file the sandbox keeps) while 150 req/s flow through the front door, and the
// built grayctl binary queries it at every window's end. Windows are 6 s, well
// above the scrape interval (docs/analysis.md: increase() loses the window's
// first scrape interval). Prometheus unreachable → never promoted: fail safe.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type Sandbox, startSandbox } from "../../sandbox/index.ts";
import { R } from "../../sandbox/resources.ts";
import { freePort } from "../../sandbox/traffic/nginx.ts";
import { type RunningPrometheus, startPrometheus } from "../../sandbox/traffic/prometheus.ts";
import { runCli } from "../helpers/cli.ts";
import { describeTally, startLoad } from "../helpers/load.ts";
import { realPartsScript } from "../helpers/real-parts.ts";
import { demoImage } from "../helpers/sandbox-app.ts";

const config = (prometheusUrl: string, inconclusiveLimit = 3) => `app: shop
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: shop.local
rollout:
  steps: [20, 50, 100]
  interval: 6s
  readyTimeout: 10s
  progressDeadline: 3m
analysis:
  inconclusiveLimit: ${inconclusiveLimit}
  evaluateEvery: 2s # looks inside the 6 s window: increase() over the seconds since the previous look
  metrics:
    provider: prometheus
    prometheus: { url: "${prometheusUrl}", timeout: 1s }
    minRequests: 20
    checks:
      - { name: error-rate, max: 0.01 }
      - { name: latency-p99, max: 0.5 }
`;
const RATE = 150;

let dir: string;
let sandbox: Sandbox;
let prometheus: RunningPrometheus;

before(async () => {
  if (spawnSync("prometheus", ["--version"]).error)
    assert.fail(`prometheus is missing on this machine: run \`sudo ${realPartsScript}\` to install the real parts`);
  dir = await mkdtemp(join(tmpdir(), "grayctl-rollout-prom-"));
  const targetsFile = join(dir, "targets.json");
  sandbox = await startSandbox({
    kubeconfigPath: join(dir, "kubeconfig"),
    traffic: { prometheusTargetsFile: targetsFile },
  });
  prometheus = await startPrometheus({ targetsFile, scrapeIntervalSeconds: 1 });
  const first = await grayctl(demoImage("v1"));
  assert.equal(first.code, 0, first.stderr + first.stdout);
});

after(async () => {
  await prometheus?.stop();
  await sandbox?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function grayctl(image: string, configYaml = config(prometheus.url)) {
  await writeFile(join(dir, "grayctl.yaml"), configYaml);
  return runCli(
    [
      "--kubeconfig",
      sandbox.kubeconfigPath,
      "--config",
      join(dir, "grayctl.yaml"),
      "rollout",
      "--image",
      image,
      "-o",
      "json",
    ],
    {
      cwd: dir,
      timeoutMs: 120_000,
      env: { GRAYCTL_ACTOR: "test-runner" },
    },
  );
}

const stableImage = () => sandbox.store.get(R.deployments, "default", "shop")?.spec.template.spec.containers[0].image;
const canaryReplicas = () => sandbox.store.get(R.deployments, "default", "shop-canary")?.spec.replicas;
const eventsOf = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));

async function rolloutUnderLoad(tag: string, configYaml?: string) {
  const load = startLoad({ url: sandbox.frontDoorUrl!, host: "shop.local", rate: RATE, durationMs: 110_000 });
  const result = await grayctl(demoImage(tag), configYaml);
  const seen = await load.stop();
  console.log(describeTally(`users during ${tag}`, seen));
  const events = eventsOf(result.stdout);
  return {
    result,
    seen,
    events,
    outcome: events.at(-1),
    weights: events.filter((e) => e.type === "step").map((e) => e.weight),
  };
}

for (const [tag, gate, numbers] of [
  ["v2-err20", "error-rate", /canary \d+(\.\d+)?% \(\d+\/\d+\) vs stable \d+(\.\d+)?% \(\d+\/\d+\)/],
  ["v2-slow800", "latency-p99", /canary \d+(\.\d+)?m?s vs stable \d+(\.\d+)?m?s over \d+ requests/],
] as const) {
  test(`${tag} is rolled back by ${gate} from Prometheus's numbers at its first step (exit 3)`, async () => {
    const { result, seen, events, outcome, weights } = await rolloutUnderLoad(tag);
    assert.equal(result.code, 3, result.stderr + result.stdout);
    assert.equal(outcome.outcome, "rolled-back");
    console.log(`${tag}: ${outcome.reason}`);
    assert.match(outcome.reason, new RegExp(`^${gate}: canary `), "the gate is named once, then its numbers");
    assert.match(outcome.reason, numbers);
    assert.equal(events.find((e) => e.type === "gate" && e.result === "failed")?.gate, gate);
    assert.deepEqual(weights, [20], "decided in the first window");
    assert.equal(stableImage(), demoImage("v1"));
    assert.equal(canaryReplicas(), 0);
    assert.equal(seen.failed + seen.routingErrors, 0, describeTally("users", seen));
  });
}

test("v2b passes every window of 20, 50, 100 on Prometheus's numbers and is promoted", async () => {
  const { result, seen, events, outcome, weights } = await rolloutUnderLoad("v2b");
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.equal(outcome.outcome, "promoted");
  assert.deepEqual(weights, [20, 50, 100]);
  const gates = events.filter((e) => e.type === "gate");
  for (const gate of gates) console.log(`  ${gate.gate} ${gate.result}: ${gate.summary ?? gate.why ?? gate.reason}`);
  assert.ok(gates.every((e) => e.result !== "failed"));
  assert.ok(gates.filter((e) => e.result === "passed").length >= 6, "every step passed both gates");
  // Looks inside the windows asked Prometheus for the seconds since the previous look and concluded nothing.
  const looks = events.filter((e) => e.type === "look");
  assert.ok(looks.length >= 3, `looks inside the windows: ${looks.length}`);
  assert.ok(
    looks.every((e) => e.source === "prometheus" && e.look === "interim" && e.verdict !== "failed"),
    JSON.stringify(looks.map((e) => [e.gate, e.verdict, e.text])),
  );
  assert.ok(
    looks.some((e) => e.verdict === "continue" && typeof e.evidence?.eValue === "number"),
    JSON.stringify(looks.map((e) => [e.gate, e.verdict, e.text])),
  );
  assert.equal(stableImage(), demoImage("v2b"));
  assert.equal(canaryReplicas(), 0);
  assert.equal(seen.appErrors + seen.routingErrors + seen.failed, 0, describeTally("users", seen));
});

test("Prometheus unreachable: v3 is never promoted; it fails safe after the inconclusive limit (exit 3)", async () => {
  const closed = `http://127.0.0.1:${await freePort()}`;
  const { result, outcome, weights, events } = await rolloutUnderLoad("v3", config(closed, 2));
  assert.equal(result.code, 3, result.stderr + result.stdout);
  assert.equal(outcome.outcome, "rolled-back");
  console.log(`v3: ${outcome.reason}`);
  assert.match(outcome.reason, /inconclusive for 3 windows in a row/);
  assert.match(outcome.reason, /failing safe/);
  assert.match(outcome.reason, /127\.0\.0\.1|ECONNREFUSED|fetch failed|unreachable/i);
  assert.deepEqual(weights, [20], "never went past the first step");
  const metricGates = events.filter((e) => e.type === "gate" && e.gate !== "health");
  assert.equal(metricGates.length, 6, "two metric gates × three windows");
  assert.ok(
    metricGates.every((e) => e.result === "inconclusive"),
    JSON.stringify(metricGates),
  );
  assert.match(result.stderr + result.stdout, /inconclusive/);
  assert.equal(stableImage(), demoImage("v2b"), "stable still runs the last promoted image");
  assert.equal(canaryReplicas(), 0);
});
