// Header pinning through a real nginx (issue 23, decision 034): the built
// grayctl writes the canary Ingress, the sandbox renders it as nginx
// configuration and reloads nginx, and requests go through nginx. Without
// traffic.pin, `x-canary: always` no longer reaches the canary; with it, only
// the secret value from the environment does, whatever the weight.
//
// nginx draws weighted choices itself, so the canary is paused at 1 %: a header
// that pinned would send 40 of 40 requests to it (as the issue measured), the
// weight alone sends about 0.4; more than 5 of 40 at 1 % has a probability
// below 1e-7, so "at most 5" separates the two without flaking.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import { sendLoad } from "../../sandbox/traffic/load.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const HOST = "pin.local";
const SECRET = "pin-real-nginx-5e8a1c3f9d2b7046";
const PIN = ["--set", "traffic.pin={header: x-canary, valueFrom: {env: GRAYCTL_PIN_VALUE}}"];
const PAUSED_AT_1 = ["--set", "rollout.steps=[{weight: 1, pause: manual}, 100]"];
const CONFIG = `app: pin
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: ${HOST}
rollout:
  steps: [100]
  interval: 1s
  readyTimeout: 10s
  progressDeadline: 2m
`;

let app: SandboxApp;
const viaNginx = (count: number, headers?: Record<string, string>) =>
  sendLoad({ url: app.sandbox.nginxUrl!, host: HOST, count, concurrency: 8, headers });
const settled = () => app.sandbox.trafficSettled!(15_000);

before(async () => {
  if (spawnSync("nginx", ["-v"]).error)
    assert.fail("nginx is missing on this machine: run scripts/real-parts.sh to install the real parts");
  app = await startSandboxApp(CONFIG, { traffic: { nginx: {} } });
  assert.ok(app.sandbox.nginxUrl, "the sandbox serves its routing through a real nginx");
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
});
after(async () => {
  await app?.stop();
});

test("real nginx, no pinning configured: 40 requests with x-canary: always do not reach a canary paused at 1 %", async () => {
  const paused = await app.grayctl(["rollout", "--image", demoImage("v2"), ...PAUSED_AT_1]);
  assert.equal(paused.code, 4, paused.stderr);
  await settled();
  const always = await viaNginx(40, { "x-canary": "always" });
  assert.equal(always.total, 40);
  assert.ok((always.versions.v2 ?? 0) <= 5, `x-canary: always reached the canary: ${JSON.stringify(always.versions)}`);
  const rollback = await app.grayctl(["rollback"]);
  assert.equal(rollback.code, 0, rollback.stderr);
});

test("real nginx, traffic.pin: the secret reaches the canary paused at 1 % every time; always and other values do not", async () => {
  const paused = await app.grayctl(["rollout", "--image", demoImage("v3"), ...PAUSED_AT_1, ...PIN], {
    env: { GRAYCTL_PIN_VALUE: SECRET },
  });
  assert.equal(paused.code, 4, paused.stderr);
  assert.ok(!(paused.stdout + paused.stderr).includes(SECRET), "the secret was printed");
  await settled();
  const secret = await viaNginx(40, { "x-canary": SECRET });
  const always = await viaNginx(40, { "x-canary": "always" });
  const other = await viaNginx(40, { "x-canary": SECRET.slice(0, -1) });
  assert.deepEqual(secret.versions, { v3: 40 });
  assert.ok((always.versions.v3 ?? 0) <= 5, `always: ${JSON.stringify(always.versions)}`);
  assert.ok((other.versions.v3 ?? 0) <= 5, `another value: ${JSON.stringify(other.versions)}`);
  const rollback = await app.grayctl(["rollback"]);
  assert.equal(rollback.code, 0, rollback.stderr);
});
