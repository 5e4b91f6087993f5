// Continuous evaluation (issue 21): the metric gates look every
// analysis.evaluateEvery inside a step's window. A canary answering 100 %
// errors in a step of 60 s is rolled back at an early look, long before the
// window ends; a good canary passes each step only at its window's end, its
// looks inside the window recorded as "continue". Built grayctl binary, pods
// provider, 150 req/s through the sandbox's front door. Asserts on the
// recorded looks (decision records in the state and the `look`/`gate`
// events), never on wall time.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { jsonEvents } from "../helpers/cli.ts";
import { describeTally, startLoad } from "../helpers/load.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const CONFIG = `app: shop
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: shop.local
rollout:
  steps: [20, 100]
  interval: 60s
  readyTimeout: 10s
  progressDeadline: 3m
analysis:
  evaluateEvery: 2s
  metrics:
    provider: pods
    minRequests: 20
    checks:
      - { name: error-rate, max: 0.01 }
      - { name: latency-p99, max: 0.5 }
`;

let app: SandboxApp;

before(async () => {
  app = await startSandboxApp(CONFIG);
  const first = await app.grayctl(["rollout", "--image", demoImage("v1"), "-o", "json"]);
  assert.equal(first.code, 0, first.stderr + first.stdout);
});

after(async () => {
  await app?.stop();
});

interface Record {
  gate: string;
  step: number;
  verdict: string;
  look?: string;
  window: { seconds: number };
  evidence?: { eValue: number; ceilingEValue: number | null; threshold: number };
  canary: { requests?: number; errors?: number };
}
const decisions = () => ((app.state() as { decisions?: Record[] } | undefined)?.decisions ?? []) as Record[];

async function rollout(tag: string, set: string[] = []) {
  const load = startLoad({ url: app.sandbox.frontDoorUrl!, host: "shop.local", rate: 150, durationMs: 120_000 });
  const result = await app.grayctl(["rollout", "--image", demoImage(tag), ...set, "-o", "json"], {
    timeoutMs: 120_000,
  });
  const seen = await load.stop();
  console.log(describeTally(`users during ${tag}`, seen));
  const events = jsonEvents(result.stdout);
  return { result, seen, events, outcome: events.at(-1) };
}

test("a 100 %-error canary in a 60 s step is rolled back at an early look inside the window, not at its end", async () => {
  const { result, seen, events, outcome } = await rollout("v2-err100");
  console.log(`outcome: ${outcome?.outcome}: ${outcome?.reason}`);
  assert.equal(result.code, 3, result.stderr + result.stdout);
  assert.equal(outcome.outcome, "rolled-back");
  assert.match(outcome.reason, /^error-rate: canary 100% \(\d+\/\d+\) vs stable .*e-value \S+ ≥ 200: /);

  // The failing look is a look inside the window, a few seconds in: the step's 60 s never ran out.
  const failed = events.find((e) => e.type === "gate" && e.result === "failed");
  assert.equal(failed?.gate, "error-rate", JSON.stringify(failed));
  assert.equal(failed.look, "interim", "failed at a look inside the window, not at its end");
  assert.equal(failed.step, 1);
  assert.ok(failed.window.seconds < 20, `decided ${failed.window.seconds}s into a 60 s window`);
  assert.ok(failed.evidence.eValue >= failed.evidence.threshold, JSON.stringify(failed.evidence));
  // Looks before it (every 2 s) concluded nothing and were recorded as such.
  const looksBefore = events.filter((e) => e.type === "look" && e.gate === "error-rate");
  assert.ok(looksBefore.length <= 5, `${looksBefore.length} looks before the failing one`);
  assert.ok(
    looksBefore.every((e) => e.verdict === "continue" || e.verdict === "inconclusive"),
    JSON.stringify(looksBefore),
  );
  // The state keeps every look as a decision record: the failing one is the last error-rate record.
  const recorded = decisions().filter((r) => r.gate === "error-rate");
  assert.equal(recorded.at(-1)?.verdict, "failed");
  assert.equal(recorded.at(-1)?.look, "interim");
  assert.ok((recorded.at(-1)?.canary.errors ?? 0) > 0, JSON.stringify(recorded.at(-1)));
  assert.equal(recorded.length, looksBefore.length + 1, "every look is recorded");
  assert.ok(seen.appErrors > 0 && seen.appErrors < 150, `users saw ${seen.appErrors} canary 500s`);

  // status --verbose shows the evidence's path per gate.
  const status = await app.grayctl(["status", "--verbose"]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /evidence \(e-value per look, fails at 200\):\n {4}error-rate step 1: \S+ .*→ \S+/);
});

test("a good canary passes each step only at its window's end; looks inside it are recorded as continue", async () => {
  // A 6 s window with a look every 2 s keeps the test short; the rule is the same as at 60 s.
  const { result, events, outcome } = await rollout("v2b", ["--set", "rollout.interval=6s"]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.equal(outcome.outcome, "promoted");
  for (const step of [1, 2]) {
    for (const gate of ["error-rate", "latency-p99"]) {
      const verdicts = events.filter((e) => e.type === "gate" && e.gate === gate && e.step === step);
      assert.equal(verdicts.length, 1, `${gate} step ${step}: ${JSON.stringify(verdicts)}`);
      assert.equal(verdicts[0].result, "passed", JSON.stringify(verdicts[0]));
      assert.equal(verdicts[0].look, undefined, "the pass is the window's end, not a look inside it");
      assert.ok(verdicts[0].window.seconds >= 6, `passed after ${verdicts[0].window.seconds}s of a 6 s window`);
      const looks = events.filter((e) => e.type === "look" && e.gate === gate && e.step === step);
      assert.ok(looks.length >= 1, `${gate} step ${step}: looked inside the window`);
      assert.ok(
        looks.every((e) => e.verdict === "continue" && e.window.seconds < 6),
        JSON.stringify(looks.map((e) => [e.verdict, e.window.seconds])),
      );
    }
  }
});
