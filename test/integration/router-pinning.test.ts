// Header pinning is closed by default (issue 23, DESIGN.md invariant 10,
// decision 034), for every router that pins, through the sandbox's front door:
// with no traffic.pin, requests sent with `x-canary: always` (what older
// versions honoured) reach stable only while the canary is paused at 10 %; with
// traffic.pin, only the secret value taken from the environment reaches the
// canary, and that value never appears in grayctl's output, the state
// ConfigMap or the Events (it is in the routing object itself: unavoidable).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import type { Rng } from "../../sandbox/traffic/model.ts";
import { sendLoad } from "../../sandbox/traffic/load.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const HOST = "pin.local";
const SECRET = "pin-3f9c1e7a5b2d4068-secret";
const ENV = { GRAYCTL_PIN_VALUE: SECRET };
const PIN = ["--set", "traffic.pin={header: x-canary, valueFrom: {env: GRAYCTL_PIN_VALUE}}"];
const PAUSED_AT_10 = ["--set", "rollout.steps=[{weight: 10, pause: manual}, 100]"];

const config = (router: string) => `app: pin
namespace: default
deployment:
  replicas: 2
traffic:
  router: ${router}
  host: ${HOST}
  gateway: pin-gateway
rollout:
  steps: [100]
  interval: 1s
  readyTimeout: 6s
  progressDeadline: 2m
`;

for (const router of ["nginx", "istio", "gateway-api"] as const) {
  let app: SandboxApp;
  // The front door draws each request's backend by weight. While `draws` is the constant 0, every
  // weighted draw lands on the first backend, stable (grayctl lists it first): a request reaches the
  // canary only through a header rule, so what is counted is the header's effect alone.
  let draws: Rng = Math.random;
  const load = (count: number, headers?: Record<string, string>) =>
    sendLoad({ url: app.sandbox.frontDoorUrl!, host: HOST, count, concurrency: 8, headers });
  /** Everything the namespace holds except the routing objects, as text. */
  const objectsOtherThanRoutes = () =>
    JSON.stringify(
      Object.values(R)
        .filter((t) => t.namespaced && ![R.ingresses, R.virtualservices, R.httproutes].includes(t))
        .flatMap((t) => app.sandbox.store.list(t, app.namespace)),
    );

  before(async () => {
    app = await startSandboxApp(config(router), { traffic: { rng: () => draws() } });
    const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
    assert.equal(first.code, 0, first.stderr);
  });
  after(async () => {
    await app.stop();
  });

  test(`${router}: with no pinning configured, 40 requests with x-canary: always reach stable only at a paused 10 % step`, async () => {
    const paused = await app.grayctl(["rollout", "--image", demoImage("v2"), ...PAUSED_AT_10]);
    assert.equal(paused.code, 4, paused.stderr);
    draws = () => 0;
    const pinned = await load(40, { "x-canary": "always" });
    draws = Math.random;
    assert.deepEqual(pinned.versions, { v1: 40 });
    // The canary is there and serving: without the header the weights still send it its share.
    const spread = await load(200);
    assert.ok(
      (spread.versions.v2 ?? 0) > 0,
      `no request reached the canary at 10 %: ${JSON.stringify(spread.versions)}`,
    );
    const rollback = await app.grayctl(["rollback"]);
    assert.equal(rollback.code, 0, rollback.stderr);
  });

  test(`${router}: with traffic.pin, only the secret from the environment pins, and it never reaches output, state or Events`, async () => {
    const paused = await app.grayctl(["rollout", "--image", demoImage("v3"), ...PAUSED_AT_10, ...PIN, "-o", "json"], {
      env: ENV,
    });
    assert.equal(paused.code, 4, paused.stderr);
    draws = () => 0;
    const secret = await load(40, { "x-canary": SECRET });
    const always = await load(40, { "x-canary": "always" });
    const almost = await load(40, { "x-canary": `${SECRET}x` });
    draws = Math.random;
    assert.deepEqual(secret.versions, { v3: 40 });
    assert.deepEqual(always.versions, { v1: 40 });
    assert.deepEqual(almost.versions, { v1: 40 });
    const status = await app.grayctl(["status", "--verbose", ...PIN], { env: ENV });
    const plan = await app.grayctl(["plan", "--image", demoImage("v4"), ...PIN], { env: ENV });
    // A rollback from a laptop without the secret still works; the pin stays as it was meanwhile.
    const rollback = await app.grayctl(["rollback", ...PIN]);
    assert.equal(rollback.code, 0, rollback.stderr);
    for (const [what, result] of Object.entries({ paused, status, plan, rollback })) {
      assert.ok(!(result.stdout + result.stderr).includes(SECRET), `${what} printed the pin secret`);
    }
    assert.equal(plan.code, 0, plan.stderr);
    assert.ok(!objectsOtherThanRoutes().includes(SECRET), "the pin secret is in a ConfigMap, Event or other object");
  });

  test(`${router}: a rollout with traffic.pin but its variable unset exits 2 naming the variable, writing nothing`, async () => {
    const before = JSON.stringify(app.sandbox.store.list(R.deployments, app.namespace));
    const result = await app.grayctl(["rollout", "--image", demoImage("v5"), ...PIN]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /traffic\.pin\.valueFrom\.env: environment variable GRAYCTL_PIN_VALUE is not set/);
    assert.equal(JSON.stringify(app.sandbox.store.list(R.deployments, app.namespace)), before);
  });
}
