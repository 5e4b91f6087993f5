// The state ConfigMap's validation on read (issue 12, item 6), as a table.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeState, encodeState, StateUnreadableError } from "../../src/kube/state-codec.ts";
import { configSchema } from "../../src/config/schema.ts";
import { planOf } from "../../src/model/plan.ts";
import { freshState } from "../../src/model/state.ts";

const where = { name: "shop-grayctl", namespace: "prod" };
const state = freshState(
  { phase: "progressing", revision: 2, image: "r/shop:v2@sha256:2", actor: "ci", owner: "ci@host/1" },
  "2026-01-01T00:00:00.000Z",
);
const release = { revision: 1, image: "r/shop:v1", actor: "ci", time: "2026-01-01T00:00:00.000Z", outcome: "deployed" };
const map = (data: Record<string, string>) => ({ metadata: { resourceVersion: "7" }, data });
const withState = (change: (s: Record<string, unknown>) => void) => {
  const copy = structuredClone(state) as unknown as Record<string, unknown>;
  change(copy);
  return map({ state: JSON.stringify(copy), history: JSON.stringify([release]) });
};

test("a record grayctl wrote reads back as written, with its version", () => {
  const written = encodeState("shop", where, { state, history: [release as never] }, undefined);
  assert.equal(written.data?.schemaVersion, "1");
  const read = decodeState(written, where);
  assert.deepEqual(read.state, state);
  assert.deepEqual(read.history, [release]);
});

test("bookkeeping fields missing get their safe values: the deadline stays a number", () => {
  const read = decodeState(
    withState((s) => {
      delete s.activeMs;
      delete s.gates;
      delete s.inconclusive;
      delete s.updatedAt;
    }),
    where,
  );
  assert.equal(read.state?.activeMs, 0);
  assert.deepEqual(read.state?.gates, []);
  assert.equal(read.state?.updatedAt, state.startedAt);
});

test("fields unknown to this version pass through to the next write", () => {
  const read = decodeState(
    withState((s) => {
      s.restoreRevision = 1;
      s.futureField = "x";
    }),
    where,
  );
  assert.equal((read.state as unknown as Record<string, unknown>).futureField, "x");
});

const refused: [string, ReturnType<typeof map>, RegExp][] = [
  ["stepIndex missing", withState((s) => delete s.stepIndex), /data\.state\.stepIndex: /],
  ["stepIndex a string", withState((s) => (s.stepIndex = "1")), /data\.state\.stepIndex: /],
  ["weight above 100", withState((s) => (s.weight = 150)), /data\.state\.weight: /],
  ["startedAt not a date", withState((s) => (s.startedAt = "yesterday")), /data\.state\.startedAt: not a date/],
  ["an unknown phase", withState((s) => (s.phase = "done")), /data\.state\.phase: /],
  ["state not JSON", map({ state: "{" }), /data\.state is not JSON/],
  ["a history entry without a revision", map({ history: '[{"image":"x"}]' }), /data\.history\[0\]\.revision: /],
  ["a version that is not a number", map({ schemaVersion: "one" }), /schemaVersion: "one" is not a schema version/],
  [
    "a newer version",
    map({ schemaVersion: "3" }),
    /written by a newer grayctl \(state schema version 3; this grayctl reads up to 1\)/,
  ],
];
for (const [name, input, message] of refused) {
  test(`refused: ${name}`, () => {
    assert.throws(
      () => decodeState(input, where),
      (error: unknown) =>
        error instanceof StateUnreadableError &&
        error.exitCode === 2 &&
        error.message.startsWith("ConfigMap shop-grayctl in namespace prod: ") &&
        message.test(error.message) &&
        Boolean(error.hint?.includes("shop-grayctl")),
    );
  });
}

test("decision records read back as written; a damaged list is dropped, never refusing the record", () => {
  const record = {
    gate: "error-rate",
    source: "pods",
    step: 1,
    weight: 10,
    window: { start: "2026-01-01T00:00:00.000Z", end: "2026-01-01T00:01:00.000Z", seconds: 60 },
    canary: { requests: 300, errors: 1 },
    stable: { requests: 2700, errors: 20 },
    statistic: "fisher",
    pValue: 0.7,
    threshold: { max: 0.01 },
    details: {},
    verdict: "passed",
    text: "error-rate: …",
  };
  const kept = decodeState(
    withState((s) => {
      s.decisions = [record];
    }),
    where,
  );
  assert.deepEqual(kept.state?.decisions, [record]);
  const damaged = decodeState(
    withState((s) => {
      s.decisions = "edited by hand";
    }),
    where,
  );
  assert.equal(damaged.state?.decisions, undefined);
  assert.equal(damaged.state?.phase, "progressing");
});

// Issue 19, point 1 (decision 025): the rollout's plan is part of its record.
const planned = {
  ...state,
  plan: planOf(
    configSchema.parse({
      app: "shop",
      rollout: { steps: [20, { weight: 50, pause: "manual" }, 100], interval: "1s" },
      analysis: {
        metrics: {
          prometheus: { url: "http://prom:9090", bearerToken: "s3cret-token" },
          checks: [{ name: "error-rate", max: 0.02 }],
        },
        checks: [
          {
            name: "smoke",
            url: "https://check.example/{{app}}",
            headers: { Authorization: "Bearer s3cret-token" },
            value: "$.v",
            max: 1,
          },
        ],
      },
    }),
  ),
};

test("the recorded plan reads back as written: steps, interval, gates and thresholds, no credentials", () => {
  const written = encodeState("shop", where, { state: planned, history: [] }, undefined);
  assert.doesNotMatch(written.data?.state ?? "", /s3cret/, "no credential in the record");
  const read = decodeState(written, where);
  assert.deepEqual(read.state?.plan, planned.plan);
  assert.deepEqual(read.state?.plan?.rollout.steps, [20, { weight: 50, pause: "manual" }, 100]);
  assert.equal(read.state?.plan?.analysis.metrics?.checks[0].max, 0.02);
});

test("a damaged plan is refused by the configuration's own rules, naming the field", () => {
  const damaged = (change: (plan: Record<string, Record<string, unknown>>) => void) => {
    const copy = structuredClone(planned) as unknown as { plan: Record<string, Record<string, unknown>> };
    change(copy.plan);
    return map({ state: JSON.stringify(copy), history: "[]" });
  };
  assert.throws(
    () =>
      decodeState(
        damaged((plan) => (plan.rollout.steps = [50, 20])),
        where,
      ),
    /data\.state\.plan\.rollout\.steps\[1\]: 20 is not above the previous step/,
  );
  assert.throws(
    () =>
      decodeState(
        damaged((plan) => delete plan.rollout.steps),
        where,
      ),
    /data\.state\.plan\.rollout\.steps: /,
    "a missing step list is refused, never replaced by the default steps",
  );
});

test("a record without a plan (an older grayctl) still reads", () => {
  const read = decodeState(map({ state: JSON.stringify(state), history: "[]" }), where);
  assert.equal(read.state?.plan, undefined);
});
