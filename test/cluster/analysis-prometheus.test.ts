// Issue 21's end-to-end check on the real control plane: a real Prometheus
// scrapes the cluster's demo-app pods on their pod IPs (file_sd targets kept
// from the cluster's pod list, 1 s scrapes) while 150 req/s flow through the
// front door to those pods, and the built grayctl judges every step from
// Prometheus's numbers. A canary answering 20 % errors and one answering 100 %
// are rolled back; a good canary is promoted. The failed requests the load
// generator counted (5xx answered by the canary to users) are printed: the
// figure the anytime-valid looks exist to shrink (closing note), never
// asserted as a time.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { type RunningPrometheus, startPrometheus } from "../../sandbox/traffic/prometheus.ts";
import { describeTally, startLoad } from "../helpers/load.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

// A 5 % first step with a 20 s window: a rule that only judges at the window's
// end lets a broken canary serve for all of it.
const CONFIG = `app: ledger
deployment:
  replicas: 2
traffic:
  router: nginx
  host: ledger.local
rollout:
  steps: [5, 50, 100]
  interval: 20s
  readyTimeout: 30s
  progressDeadline: 4m
analysis:
  metrics:
    provider: prometheus
    prometheus: { url: "PROMETHEUS_URL", timeout: 2s }
    minRequests: 20
    checks:
      - { name: error-rate, max: 0.01 }
      - { name: latency-p99, max: 0.5 }
`;
const RATE = 150;

let app: SandboxApp;
let prometheus: RunningPrometheus;

before(async () => {
  if (!process.env.GRAYCTL_TEST_CLUSTER)
    throw new Error("GRAYCTL_TEST_CLUSTER is not set: run these through `npm run test:cluster`");
  if (spawnSync("prometheus", ["--version"]).error) throw new Error("prometheus is missing: run scripts/real-parts.sh");
  const targetsFile = join(process.env.TMPDIR ?? "/tmp", `grayctl-e2e-targets-${process.pid}.json`);
  app = await startSandboxApp(CONFIG, { traffic: { prometheusTargetsFile: targetsFile } });
  prometheus = await startPrometheus({ targetsFile, scrapeIntervalSeconds: 1 });
  const written = await readFile(app.configPath, "utf8");
  await writeFile(app.configPath, written.replace("PROMETHEUS_URL", prometheus.url));
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr + first.stdout);
});
after(async () => {
  await prometheus?.stop();
  await app?.stop();
});

const eventsOf = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));
const stableImage = () =>
  app.sandbox.store.get(R.deployments, app.namespace, "ledger")?.spec.template.spec.containers[0].image;

async function rolloutUnderLoad(tag: string) {
  const load = startLoad({ url: app.sandbox.frontDoorUrl!, host: "ledger.local", rate: RATE, durationMs: 200_000 });
  const result = await app.grayctl(["rollout", "--image", demoImage(tag), "-o", "json"], { timeoutMs: 240_000 });
  const seen = await load.stop();
  console.log(describeTally(`users during ${tag}`, seen));
  const events = eventsOf(result.stdout);
  return { result, seen, events, outcome: events.at(-1) };
}

for (const tag of ["v3-err20", "v4-err100"]) {
  test(`${tag} is rolled back from Prometheus's numbers during its 5 % step; the failed requests users saw are counted`, async () => {
    const { result, seen, events, outcome } = await rolloutUnderLoad(tag);
    assert.equal(result.code, 3, result.stderr + result.stdout);
    assert.equal(outcome.outcome, "rolled-back", JSON.stringify(outcome));
    assert.match(outcome.reason, /error-rate/, outcome.reason);
    assert.deepEqual(
      events.filter((e) => e.type === "step").map((e) => e.weight),
      [5],
      "decided in the first step",
    );
    assert.equal(stableImage(), demoImage("v1"));
    // Looks inside a window are `look` events; the failing one (and each window's end) a `gate` event.
    const looks = events.filter((e) => (e.type === "gate" || e.type === "look") && e.gate === "error-rate").length;
    console.log(
      `${tag}: ${seen.appErrors} failed requests served to users before the rollback (${looks} error-rate looks); ${outcome.reason}`,
    );
    assert.ok(seen.appErrors > 0, "the canary took its share and failed some of it");
  });
}

test("a good canary under 150 req/s passes every step on Prometheus's numbers and is promoted", async () => {
  const { result, seen, events, outcome } = await rolloutUnderLoad("v5");
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.equal(outcome.outcome, "promoted");
  assert.deepEqual(
    events.filter((e) => e.type === "step").map((e) => e.weight),
    [5, 50, 100],
  );
  assert.equal(seen.appErrors + seen.failed + seen.routingErrors, 0, describeTally("users", seen));
  assert.equal(stableImage(), demoImage("v5"));
});
