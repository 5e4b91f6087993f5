// Issue 21: apps label their request counters their own way. podinfo (Flagger's
// demo app) counts requests by `status`, not `code`; a gate that looked only for
// `code` saw "canary 0 5xx" and promoted a canary answering 20 % 500s. Here the
// built grayctl binary ramps a demo app that counts by `status` (tag suffix
// `label.status`) with no status label configured, 150 req/s through the front
// door, pods provider: the error-rate gate finds the label by itself, rolls the
// bad canary back at its first step, and says which label it used — in the
// gate event, and in `status --verbose`.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { jsonEvents } from "../helpers/cli.ts";
import { describeTally, startLoad } from "../helpers/load.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

// 150 req/s × 20 % × 3 s ≈ 90 canary requests in the first window: enough for
// minRequests 20, and for the rule to tell 20 % errors from stable's 0 %.
const CONFIG = `app: podinfo
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: podinfo.local
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
`;

let app: SandboxApp;

before(async () => {
  app = await startSandboxApp(CONFIG);
  const first = await app.grayctl(["rollout", "--image", demoImage("v1-label.status"), "-o", "json"]);
  assert.equal(first.code, 0, first.stderr + first.stdout);
});

after(async () => {
  await app?.stop();
});

test("a canary counting its 5xx by `status` (podinfo's label) is rolled back by error-rate, which names the label", async () => {
  const load = startLoad({ url: app.sandbox.frontDoorUrl!, host: "podinfo.local", rate: 150, durationMs: 50_000 });
  const result = await app.grayctl(["rollout", "--image", demoImage("v2-err20-label.status"), "-o", "json"], {
    timeoutMs: 50_000,
  });
  const seen = await load.stop();
  console.log(describeTally("users during v2-err20-label.status", seen));
  const events = jsonEvents(result.stdout);
  const outcome = events.at(-1);
  console.log(`outcome: ${outcome?.outcome}: ${outcome?.reason}`);
  assert.ok(seen.appErrors > 0, "the canary answered users with 500s");
  assert.equal(result.code, 3, `not rolled back (before issue 21 it was promoted):\n${result.stderr}${result.stdout}`);
  assert.equal(outcome.outcome, "rolled-back");
  assert.match(outcome.reason, /^error-rate: canary \d+(\.\d+)?% \(\d+\/\d+\) vs stable/);
  assert.match(outcome.reason, /\(5xx by status label "status"\)/);
  const failed = events.find((e) => e.type === "gate" && e.result === "failed");
  assert.equal(failed?.gate, "error-rate", JSON.stringify(failed));
  assert.equal(failed.statusLabel, "status", "the decision record says which label told 5xx apart");
  assert.ok(failed.canary.errors > 0, JSON.stringify(failed.canary));
  assert.deepEqual([failed.step, failed.weight], [1, 20], "decided in the first window");
  assert.equal(app.state()?.phase, "rolled-back");
  assert.equal(app.history().at(-1)?.outcome, "rolled-back");

  const status = await app.grayctl(["status", "--verbose"]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /error-rate \[pods\]: failed\n(.*\n)*? {6}5xx by status label: status\n/, status.stdout);
});
