// Traffic on the real cluster through a real nginx: the sandbox's nginx mode
// renders the cluster's own Ingresses (grayctl's canary annotations) and
// EndpointSlices (real pod IPs) into nginx.conf. A canary paused at 25 % takes
// its share of 2,000 requests, the configured pin (a secret header value,
// decision 034) reaches the canary while `x-canary: always` does not, and
// promotion moves every request to v2. Needs nginx (scripts/real-parts.sh).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import { sendLoad, sharePercent } from "../../sandbox/traffic/load.ts";
import type { ClusterSandbox } from "../helpers/cluster-sandbox.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const CONFIG = `app: shop
deployment:
  replicas: 2
traffic:
  router: nginx
  host: shop.local
  pin: { header: x-canary, valueFrom: { env: GRAYCTL_PIN_VALUE } }
rollout:
  steps: [{ weight: 25, pause: manual }, 100]
  interval: 1s
  readyTimeout: 20s
`;

const PIN_SECRET = "nginx-traffic-5d1e9b3c7a2f4e68";
const env = { GRAYCTL_PIN_VALUE: PIN_SECRET };

let app: SandboxApp;
let nginxUrl: string;
const load = (count: number, headers?: Record<string, string>) =>
  sendLoad({ url: nginxUrl, host: "shop.local", count, concurrency: 16, headers });

before(async () => {
  if (!process.env.GRAYCTL_TEST_CLUSTER)
    throw new Error("GRAYCTL_TEST_CLUSTER is not set: run these through `npm run test:cluster`");
  if (spawnSync("nginx", ["-v"]).error) throw new Error("nginx is missing: run scripts/real-parts.sh");
  app = await startSandboxApp(CONFIG, { traffic: { nginx: {} } });
  nginxUrl = (app.sandbox as ClusterSandbox).nginxUrl!;
  assert.ok(nginxUrl, "the cluster's traffic runs a real nginx");
});
after(() => app?.stop());

test("a canary paused at 25 % takes its share through nginx; only the secret pin reaches it by header; promotion moves everyone to v2", async () => {
  assert.equal((await app.grayctl(["rollout", "--image", demoImage("v1")], { env })).code, 0);
  const paused = await app.grayctl(["rollout", "--image", demoImage("v2")], { env });
  assert.equal(paused.code, 4, paused.stderr);
  const split = await load(2000);
  const canary = sharePercent(split, "v2");
  console.log(`nginx on the real cluster: canary ${canary.toFixed(1)} % of 2000`);
  assert.ok(Math.abs(canary - 25) <= 4, `canary share ${canary} % at weight 25`);
  assert.deepEqual(Object.keys((await load(50, { "x-canary": PIN_SECRET })).versions), ["v2"]);
  // Closed by default (issue 23): a stranger's `always` goes by the weight like any request.
  const strangers = (await load(50, { "x-canary": "always" })).versions;
  assert.ok((strangers.v1 ?? 0) > 0, `x-canary: always all went to the canary: ${JSON.stringify(strangers)}`);
  const promoted = await app.grayctl(["promote"], { env });
  assert.equal(promoted.code, 0, promoted.stderr);
  const after = await load(200);
  assert.deepEqual(Object.keys(after.versions), ["v2"], JSON.stringify(after.versions));
});
