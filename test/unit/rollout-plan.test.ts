import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Deployment, V1Pod } from "@kubernetes/client-node";
import type { GateResult } from "../../src/analysis/types.ts";
import { parseConfig } from "../../src/config/load.ts";
import { replicaRatioPlan } from "../../src/routers/replicas.ts";
import { proportionalReplicas } from "../../src/routers/types.ts";
import { rolloutStatus } from "../../src/rollout/deployments.ts";
import { canaryDeployment, stableDeployment } from "../../src/rollout/manifests.ts";
import { deadlineLeft, judge, stepsOf } from "../../src/rollout/plan.ts";
import { failFastReason, summarizeTrack } from "../../src/model/pods.ts";

const config = (yaml = "") => parseConfig(`app: shop\n${yaml}`, { cwd: "/", env: {}, file: "/grayctl.yaml" }).config;
const passed = (gate: string): GateResult => ({ gate, result: "passed", summary: "ok" });
const unsure = (gate: string): GateResult => ({ gate, result: "inconclusive", why: "too few requests" });

test("steps: plain weights and objects with pauses", () => {
  const steps = stepsOf(config("rollout:\n  steps: [5, { weight: 50, pause: manual }, { weight: 100, pause: 30s }]\n"));
  assert.deepEqual(steps, [{ weight: 5 }, { weight: 50, pause: "manual" }, { weight: 100, pause: 30_000 }]);
});

test("judge: every gate must pass; one failure fails; inconclusive waits, then fails safe", () => {
  assert.equal(judge([passed("health"), passed("error-rate")], {}, 3).verdict, "pass");
  const failed = judge([passed("health"), { gate: "error-rate", result: "failed", reason: "canary 5% vs 1%" }], {}, 3);
  assert.equal(failed.verdict, "fail");
  assert.match(failed.verdict === "fail" ? failed.reason : "", /^error-rate: canary 5% vs 1%/);
  const named = judge([{ gate: "error-rate", result: "failed", reason: "error-rate: canary 5% vs 1%" }], {}, 3);
  assert.equal(named.verdict === "fail" ? named.reason : "", "error-rate: canary 5% vs 1%", "the gate is named once");
  let counts: Record<string, number> = {};
  for (let window = 1; window <= 3; window++) {
    const verdict = judge([passed("health"), unsure("error-rate")], counts, 3);
    assert.equal(verdict.verdict, "wait", `window ${window} waits`);
    counts = verdict.verdict === "wait" ? verdict.inconclusive : counts;
  }
  const last = judge([passed("health"), unsure("error-rate")], counts, 3);
  assert.equal(last.verdict, "fail");
  assert.match(last.verdict === "fail" ? last.reason : "", /inconclusive for 4 windows in a row .* failing safe/);
});

test("replicas per weight: weighted routers give the canary its share, at least one pod", () => {
  assert.deepEqual(proportionalReplicas(5, 4), { stable: 4, canary: 1, effectiveWeight: 5 });
  assert.deepEqual(proportionalReplicas(50, 4), { stable: 4, canary: 2, effectiveWeight: 50 });
  assert.deepEqual(proportionalReplicas(100, 4), { stable: 4, canary: 4, effectiveWeight: 100 });
  assert.deepEqual(proportionalReplicas(0, 4).canary, 0);
});

test("replicas router: the split is the pod ratio, and the effective weight says so", () => {
  assert.deepEqual(replicaRatioPlan(5, 4), { stable: 4, canary: 1, effectiveWeight: 20 });
  assert.deepEqual(replicaRatioPlan(50, 4), { stable: 4, canary: 4, effectiveWeight: 50 });
  assert.deepEqual(replicaRatioPlan(25, 6), { stable: 6, canary: 2, effectiveWeight: 25 });
  assert.equal(replicaRatioPlan(0, 4).canary, 0);
});

test("rollout status follows kubectl's rule", () => {
  const d = (spec: number, status: Record<string, number>, generation = 2): V1Deployment => ({
    metadata: { generation },
    spec: { replicas: spec, selector: {}, template: {} },
    status,
  });
  assert.equal(
    rolloutStatus(d(3, { observedGeneration: 1, updatedReplicas: 3, availableReplicas: 3, replicas: 3 })).done,
    false,
  );
  assert.equal(
    rolloutStatus(d(3, { observedGeneration: 2, updatedReplicas: 3, availableReplicas: 2, replicas: 3 })).done,
    false,
  );
  assert.equal(
    rolloutStatus(d(3, { observedGeneration: 2, updatedReplicas: 3, availableReplicas: 3, replicas: 4 })).done,
    false,
  );
  assert.equal(
    rolloutStatus(d(3, { observedGeneration: 2, updatedReplicas: 3, availableReplicas: 3, replicas: 3 })).done,
    true,
  );
});

test("fail fast on crash loops and restarts, not on terminating pods", () => {
  const pod = (name: string, status: V1Pod["status"], deleting = false): V1Pod => ({
    metadata: { name, deletionTimestamp: deleting ? new Date() : undefined },
    status,
  });
  const ready = {
    conditions: [{ type: "Ready", status: "True" }],
    containerStatuses: [{ name: "a", image: "x", imageID: "", ready: true, restartCount: 0 }],
  };
  assert.equal(failFastReason(summarizeTrack([pod("a", ready)])), undefined);
  const crashing = {
    containerStatuses: [
      {
        name: "a",
        image: "x",
        imageID: "",
        ready: false,
        restartCount: 2,
        state: { waiting: { reason: "CrashLoopBackOff" } },
      },
    ],
  };
  assert.match(failFastReason(summarizeTrack([pod("b", crashing)])) ?? "", /pod b is CrashLoopBackOff \(restarts: 2\)/);
  assert.equal(failFastReason(summarizeTrack([pod("c", crashing, true)])), undefined);
});

test("the canary is stable's spec with its own labels, selector and image", () => {
  const cfg = config("deployment:\n  replicas: 4\n  port: 9090\n");
  const stable = stableDeployment(cfg, "r/shop:1@sha256:aa");
  assert.deepEqual(stable.spec?.selector.matchLabels, { app: "shop", track: "stable" });
  assert.equal(stable.spec?.template.spec?.containers[0].readinessProbe?.httpGet?.port, 9090);
  const canary = canaryDeployment(stable, "shop", "r/shop:2@sha256:bb", 1);
  assert.equal(canary.metadata?.name, "shop-canary");
  assert.deepEqual(canary.spec?.selector.matchLabels, { app: "shop", track: "canary" });
  assert.equal(canary.spec?.template.spec?.containers[0].image, "r/shop:2@sha256:bb");
  assert.equal(stable.spec?.template.spec?.containers[0].image, "r/shop:1@sha256:aa", "stable is not changed");
});

test("the progress deadline counts time spent by earlier processes", () => {
  assert.equal(deadlineLeft(600_000, 100_000, 1_000, 61_000), 440_000);
});

test("a failed look names every gate that failed in it, not only the first", () => {
  const verdict = judge(
    [
      { gate: "health", result: "passed", summary: "ok" },
      { gate: "error-rate", result: "failed", reason: "error-rate: 0.2 above 0.01" },
      { gate: "smoke", result: "failed", reason: "exited 1", pod: "p-1" },
    ],
    {},
    3,
  );
  assert.equal(verdict.verdict, "fail");
  assert.equal(verdict.verdict === "fail" && verdict.reason, "error-rate: 0.2 above 0.01; smoke: exited 1 (pod p-1)");
});
