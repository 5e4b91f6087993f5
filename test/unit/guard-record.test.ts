// What a guard rebuilds an app's configuration from (issue 20, decision 041):
// the rollout's recorded setup holds the router and how it reaches the app,
// never a secret (the pin's value stays in the environment: only the name of
// its variable is recorded), and survives the state codec; the configuration
// rebuilt from the record routes as the original did and follows its plan.
import assert from "node:assert/strict";
import { test } from "node:test";
import { configFromRecord } from "../../src/cli/shared/guard-record.ts";
import { type Config, configSchema } from "../../src/config/schema.ts";
import { decodeState, encodeState } from "../../src/kube/state-codec.ts";
import { planOf, withPlan } from "../../src/model/plan.ts";
import { setupOf } from "../../src/model/setup.ts";
import { freshState } from "../../src/model/state.ts";

const PIN_VALUE = "a-secret-pin-value-0123456789";
const configured = configSchema.parse({
  app: "shop",
  namespace: "prod",
  deployment: { port: 9090, replicas: 3 },
  traffic: {
    router: "nginx",
    host: "shop.example",
    ingressClassName: "public",
    pin: { header: "x-canary", valueFrom: { env: "SHOP_PIN" } },
  },
  rollout: { steps: [10, 60, 100], leaseDuration: "20s", onOrphan: "resume" },
}) as Config;
configured.traffic.pin = { ...configured.traffic.pin!, value: PIN_VALUE };

test("the recorded setup names the pin's variable, never its value, and survives the state codec", () => {
  const state = freshState(
    {
      phase: "progressing",
      revision: 2,
      image: "r/shop@sha256:1",
      actor: "ci",
      owner: "ci@host/1/x",
      plan: planOf(configured),
      setup: setupOf(configured),
    },
    "2026-12-06T00:00:00Z",
  );
  const where = { name: "shop-grayctl", namespace: "prod" };
  const encoded = encodeState("shop", where, { state, history: [] }, undefined);
  assert.doesNotMatch(JSON.stringify(encoded), new RegExp(PIN_VALUE));
  const decoded = decodeState(encoded, where);
  assert.deepEqual(decoded.state?.setup, {
    deployment: { port: 9090, replicas: 3, canaryAutoscaler: false },
    traffic: {
      router: "nginx",
      path: "/",
      host: "shop.example",
      ingressClassName: "public",
      pin: { header: "x-canary", valueFrom: { env: "SHOP_PIN" } },
    },
    leaseDuration: "20s",
    onOrphan: "resume",
  });
});

test("the configuration rebuilt from the record routes like the original and follows the recorded plan", () => {
  const state = freshState(
    { phase: "progressing", revision: 2, image: "i", actor: "a", owner: "o" },
    "2026-12-06T00:00:00Z",
  );
  const recorded = { ...state, plan: planOf(configured), setup: setupOf(configured) };
  const rebuilt = configFromRecord("shop", "prod", recorded, { SHOP_PIN: PIN_VALUE }, [], withPlan);
  assert.ok(rebuilt);
  assert.deepEqual(rebuilt.traffic, configured.traffic);
  assert.equal(rebuilt.deployment.port, 9090);
  assert.deepEqual(rebuilt.rollout.steps, [10, 60, 100]);
  assert.equal(rebuilt.rollout.leaseDuration, "20s");
  assert.equal(rebuilt.rollout.onOrphan, "resume");
  // A record of an older grayctl (no setup): nothing to rebuild from.
  assert.equal(configFromRecord("shop", "prod", { ...state, plan: planOf(configured) }, {}, [], withPlan), undefined);
});
