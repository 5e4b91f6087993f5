// Metric gates inside real rollouts, pods provider: the built grayctl binary
// ramps demo-app canaries against the sandbox while 150 req/s flow through the
// front door, and the canary's own /metrics (scraped through the pod proxy)
// decide. A 20 %-errors canary is rolled back by error-rate, an 800 ms-slower
// one by latency-p99, a good one is promoted. Users' errors are counted.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { describeTally, startLoad } from "../helpers/load.ts";
import { jsonEvents } from "../helpers/cli.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

// 150 req/s × 20 % × 3 s ≈ 90 canary requests in the first window: enough for
// minRequests 20, and for the decision rule to tell 20 % errors from stable's 0 %.
const CONFIG = `app: shop
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: shop.local
rollout:
  steps: [20, 50, 100]
  interval: 3s
  readyTimeout: 10s
  progressDeadline: 2m
analysis:
  metrics:
    provider: pods
    minRequests: 20
    checks:
      - { name: error-rate, max: 0.01 }
      - { name: latency-p99, max: 0.5 }
`;
const RATE = 150;

let app: SandboxApp;

before(async () => {
  app = await startSandboxApp(CONFIG);
  const first = await app.grayctl(["rollout", "--image", demoImage("v1"), "-o", "json"]);
  assert.equal(first.code, 0, first.stderr + first.stdout);
});

after(async () => {
  await app?.stop();
});

const events = jsonEvents;
const stableImage = () =>
  app.sandbox.store.get(R.deployments, app.namespace, "shop")?.spec.template.spec.containers[0].image;
const canaryReplicas = () => app.sandbox.store.get(R.deployments, app.namespace, "shop-canary")?.spec.replicas;

/** Runs one rollout with load flowing through the front door; returns its events and what users saw. */
async function rolloutUnderLoad(tag: string) {
  const load = startLoad({ url: app.sandbox.frontDoorUrl!, host: "shop.local", rate: RATE, durationMs: 50_000 });
  const result = await app.grayctl(["rollout", "--image", demoImage(tag), "-o", "json"], { timeoutMs: 50_000 });
  const seen = await load.stop();
  console.log(describeTally(`users during ${tag}`, seen));
  return { result, seen, events: events(result.stdout), outcome: events(result.stdout).at(-1) };
}

for (const [tag, gate, numbers] of [
  ["v2-err20", "error-rate", /canary \d+(\.\d+)?% \(\d+\/\d+\) vs stable \d+(\.\d+)?% \(\d+\/\d+\)/],
  ["v2-slow800", "latency-p99", /canary \d+(\.\d+)?\s*m?s vs stable \d+(\.\d+)?\s*m?s over \d+ requests/],
] as const) {
  test(`${tag} is rolled back by ${gate} at its first step (exit 3), users back on v1`, async () => {
    const { result, seen, events: lines, outcome } = await rolloutUnderLoad(tag);
    assert.equal(result.code, 3, result.stderr + result.stdout);
    assert.equal(outcome.outcome, "rolled-back");
    console.log(`${tag}: ${outcome.reason}`);
    assert.match(outcome.reason, new RegExp(`^${gate}: canary `), "the gate is named once, then its numbers");
    assert.match(outcome.reason, numbers);
    const failed = lines.find((e) => e.type === "gate" && e.result === "failed");
    assert.equal(failed?.gate, gate, `failing gate event: ${JSON.stringify(failed)}`);
    assert.ok(failed.values.canaryPods >= 1 && failed.values.stablePods >= 1, JSON.stringify(failed.values));
    // The decision record rides on the same event: what was looked at, the numbers, the rule, the verdict.
    assert.equal(failed.source, "pods");
    assert.equal(failed.verdict, "failed");
    assert.deepEqual([failed.step, failed.weight], [1, 20]);
    assert.match(failed.query, /\/metrics of \d+ canary and \d+ stable pods/);
    assert.ok(failed.window.seconds >= 3, JSON.stringify(failed.window));
    const [track, other] = gate === "error-rate" ? ["requests", "errors"] : ["p99", "count"];
    for (const side of [failed.canary, failed.stable])
      assert.ok(typeof side[track] === "number" && typeof side[other] === "number", JSON.stringify(failed));
    assert.equal(failed.threshold.max, gate === "error-rate" ? 0.01 : 0.5);
    // The sequential rule (issue 21): the e-value that crossed its threshold, named in the reason too.
    const crossed = Math.max(failed.evidence.eValue, failed.evidence.ceilingEValue ?? 0);
    assert.ok(crossed >= failed.evidence.threshold, JSON.stringify(failed.evidence));
    assert.equal(failed.evidence.threshold, 200);
    assert.match(failed.statistic, /anytime-valid e-process/);
    assert.match(outcome.reason, /e-value \S+ ≥ 200/);
    assert.deepEqual(
      lines.filter((e) => e.type === "step").map((e) => e.weight),
      [20],
      "decided in the first window",
    );
    assert.equal(stableImage(), demoImage("v1"));
    assert.equal(canaryReplicas(), 0);
    assert.ok(
      (seen.versions[tag] ?? 0) > 20,
      `the canary served users during its step: ${JSON.stringify(seen.versions)}`,
    );
    assert.equal(seen.failed, 0, `connection failures: ${JSON.stringify(seen.samples)}`);
    assert.equal(seen.routingErrors, 0, `5xx from no pod: ${JSON.stringify(seen.samples)}`);
    // After the rollback every answer comes from stable again.
    const after = startLoad({ url: app.sandbox.frontDoorUrl!, host: "shop.local", rate: 100, durationMs: 1_000 });
    const tail = await after.done;
    assert.deepEqual(Object.keys(tail.versions), ["v1"], describeTally("after rollback", tail));
  });
}

test("v2b passes every window of 20, 50, 100 and is promoted, with no user errors", async () => {
  const { result, seen, events: lines, outcome } = await rolloutUnderLoad("v2b");
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.equal(outcome.outcome, "promoted");
  assert.deepEqual(
    lines.filter((e) => e.type === "step").map((e) => e.weight),
    [20, 50, 100],
  );
  const gates = lines.filter((e) => e.type === "gate");
  assert.ok(gates.length >= 6, `two gates per step: ${gates.length}`);
  assert.ok(
    gates.every((e) => e.result !== "failed"),
    gates.map((e) => e.summary ?? e.why ?? e.reason).join("\n"),
  );
  assert.ok(gates.filter((e) => e.result === "passed").length >= 6, "every step passed");
  assert.equal(stableImage(), demoImage("v2b"));
  assert.equal(canaryReplicas(), 0);
  assert.ok((seen.versions.v2b ?? 0) > 100, JSON.stringify(seen.versions));
  assert.equal(seen.appErrors + seen.routingErrors + seen.failed, 0, describeTally("users", seen));
});
