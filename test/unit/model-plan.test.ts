// The recorded plan (issue 19, point 1; decision 025): what a rollout records,
// how a continuation follows it, and the guard against traffic moving back.
import assert from "node:assert/strict";
import { test } from "node:test";
import { configSchema } from "../../src/config/schema.ts";
import { decodeState, encodeState } from "../../src/kube/state-codec.ts";
import { followRecordedPlan } from "../../src/model/follow-plan.ts";
import { planDifferences, planOf, withPlan } from "../../src/model/plan.ts";
import { freshState } from "../../src/model/state.ts";
import { isBackwards, stepsOf } from "../../src/rollout/plan.ts";

const where = { name: "shop-grayctl", namespace: "prod" };
const config = (input: Record<string, unknown>) => configSchema.parse({ app: "shop", ...input });
const file = config({
  analysis: {
    metrics: {
      prometheus: { url: "http://prom:9090", bearerToken: "now-token" },
      checks: [{ name: "error-rate", max: 0.01 }],
    },
    checks: [
      { name: "smoke", url: "https://check.example", headers: { "DD-API-KEY": "now-key" }, value: "$.v", max: 1 },
    ],
  },
});
const started = config({
  rollout: { steps: [20, { weight: 50, pause: "manual" }, 100], interval: "1s", scaleDownDelay: "5s" },
  analysis: {
    metrics: {
      prometheus: { url: "http://prom:9090", bearerToken: "old-token" },
      checks: [{ name: "error-rate", max: 0.05 }],
    },
    checks: [
      { name: "smoke", url: "https://check.example", headers: { "DD-API-KEY": "old-key" }, value: "$.v", max: 1 },
    ],
  },
});
const paused = {
  ...freshState(
    { phase: "paused", revision: 2, image: "r/shop:v2", actor: "ci", owner: "ci@h/1" },
    "2026-01-01T00:00:00Z",
  ),
  stepIndex: 1,
  weight: 50,
  targetWeight: 50,
  plan: planOf(started),
};

test("the recorded plan holds steps, intervals, thresholds and onInterrupt, but no credential", () => {
  const plan = planOf(started);
  assert.deepEqual(plan.rollout.steps, [20, { weight: 50, pause: "manual" }, 100]);
  assert.equal(plan.rollout.scaleDownDelay, "5s");
  assert.equal(plan.rollout.onInterrupt, "rollback");
  assert.equal(plan.analysis.metrics?.checks[0].max, 0.05);
  assert.doesNotMatch(JSON.stringify(plan), /old-token|old-key/);
});

test("a continuation follows the recorded plan with today's credentials, and names what the file changed", () => {
  const warnings: string[] = [];
  const followed = followRecordedPlan(file, paused, (text) => warnings.push(text));
  assert.deepEqual(
    stepsOf(followed).map((step) => step.weight),
    [20, 50, 100],
  );
  assert.equal(followed.rollout.interval, "1s");
  assert.equal(followed.analysis.metrics?.checks[0].max, 0.05);
  assert.equal(followed.analysis.metrics?.prometheus?.bearerToken, "now-token");
  assert.equal(followed.analysis.checks[0].headers?.["DD-API-KEY"], "now-key");
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0],
    /rollout\.steps \(recorded \[20,\{"weight":50,"pause":"manual"\},100\], configured \[5,10,25,50,100\]\)/,
  );
  assert.match(warnings[0], /rollout\.interval \(recorded "1s", configured "1m"\)/);
  assert.match(warnings[0], /analysis\.metrics\.checks/);
  assert.match(warnings[0], /applies to the next rollout only/);
  assert.doesNotMatch(warnings[0], /token|key/i, "credentials are neither compared nor named");
});

test("the same configuration: no warning; nothing in flight or a new rollout: the configuration as it is", () => {
  const warnings: string[] = [];
  assert.deepEqual(planDifferences(planOf(started), planOf(started)), []);
  followRecordedPlan(started, paused, (text) => warnings.push(text));
  assert.equal(warnings.length, 0);
  assert.equal(
    followRecordedPlan(file, { ...paused, phase: "promoted" }, (text) => warnings.push(text)),
    file,
  );
  assert.equal(
    followRecordedPlan(file, undefined, (text) => warnings.push(text)),
    file,
  );
  assert.equal(warnings.length, 0);
});

test("one duration written two ways (60s, 1m) is no difference; another duration or other text is", () => {
  const sixtySeconds = config({ rollout: { interval: "60s", scaleDownDelay: "30s" } });
  const oneMinute = config({ rollout: { interval: "1m", scaleDownDelay: "0.5m" } });
  assert.deepEqual(planDifferences(planOf(sixtySeconds), planOf(oneMinute)), []);
  const twoMinutes = config({ rollout: { interval: "2m", scaleDownDelay: "30s" } });
  assert.deepEqual(planDifferences(planOf(sixtySeconds), planOf(twoMinutes)), [
    'rollout.interval (recorded "60s", configured "2m")',
  ]);
});

test("an older record without a plan continues with the configuration, said in a warning", () => {
  const warnings: string[] = [];
  const { plan: _plan, ...older } = paused;
  assert.equal(
    followRecordedPlan(file, older, (text) => warnings.push(text)),
    file,
  );
  assert.match(warnings[0], /recorded without its plan/);
});

test("withPlan keeps what is not the plan: the app, the router, the Lease", () => {
  const followed = withPlan(
    config({ traffic: { router: "nginx" }, rollout: { leaseDuration: "9s" } }),
    planOf(started),
  );
  assert.equal(followed.traffic.router, "nginx");
  assert.equal(followed.rollout.leaseDuration, "9s");
});

test("a step below the canary's weight is backwards (a rollback alone may lower it)", () => {
  assert.equal(isBackwards(25, { weight: 50, targetWeight: 50 }), true);
  assert.equal(isBackwards(50, { weight: 50, targetWeight: 50 }), false, "redoing the step is not backwards");
  assert.equal(isBackwards(100, { weight: 50, targetWeight: 50 }), false);
  // Stopped between the intent and the router write: the router may already be at the target.
  assert.equal(isBackwards(30, { weight: 25, targetWeight: 50 }), true);
});

test("a secret inside a URL or a command never reaches the record; a continuation takes it from the configuration", () => {
  const token = "tok-8f3a";
  const withToken = (value: string) =>
    config({
      rollout: { steps: [10, 100] },
      analysis: {
        metrics: {
          prometheus: { url: `http://reader:${value}@prom:9090` },
          checks: [{ name: "error-rate", max: 0.01 }],
        },
        checks: [
          { name: "smoke", command: ["./smoke.sh", `--token=${value}`] },
          { name: "apdex", url: `https://api.example/q?key=${value}`, value: "$.v", min: 0.9 },
        ],
      },
    });
  const plan = planOf(withToken(token), [token]);
  assert.doesNotMatch(JSON.stringify(plan), new RegExp(token));
  const codec = decodeState(encodeState("shop", where, { state: { ...paused, plan }, history: [] }, undefined), where)
    .state?.plan;
  assert.deepEqual(codec, plan, "the masked plan passes the codec's rules and reads back as written");

  const rotated = withToken("tok-new");
  const warnings: string[] = [];
  const followed = followRecordedPlan(rotated, { ...paused, plan }, (text) => warnings.push(text));
  assert.deepEqual(followed.analysis.checks[0].command, ["./smoke.sh", "--token=tok-new"]);
  assert.equal(followed.analysis.checks[1].url, "https://api.example/q?key=tok-new");
  assert.equal(followed.analysis.metrics?.prometheus?.url, "http://reader:tok-new@prom:9090");
  assert.equal(warnings.length, 0, `a rotated secret is not a change of plan: ${warnings}`);
});
