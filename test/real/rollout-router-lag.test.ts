// A router that applies weights late, under load: the real nginx configured
// from grayctl's Ingresses as an ingress controller would, 5 s after each
// change (ingress-nginx syncs at a limited rate; Envoy's proxies get a new
// route table moments after the write). Pods keep serving for their preStop
// sleep (3 s) once told to go, then stop: without rollout.scaleDownDelay a
// track scaled down right after the write that took its traffic is gone before
// the router stops sending it requests. With it (8 s here, longer than this
// router's lag), users see no 5xx and no connection error across a promotion
// and a rollback. Runs on the sandbox (npm run test:real) and on the real
// control plane (npm run test:cluster), where the EndpointSlice controller
// and the node agent are real too. Needs nginx (scripts/real-parts.sh).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { describeTally, type LoadTally, startLoad } from "../helpers/load.ts";
import { demoImage, eventually, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const HOST = "lag.local";
const ROUTER_LAG_MS = 5_000;
const CONFIG = `app: lag
deployment:
  replicas: 2
traffic:
  router: nginx
  host: ${HOST}
rollout:
  steps: [50, 100]
  interval: 2s
  readyTimeout: 30s
  scaleDownDelay: 8s
`;

let app: SandboxApp;
let nginxUrl: string;

before(async () => {
  if (spawnSync("nginx", ["-v"]).error) assert.fail("nginx is missing: run scripts/real-parts.sh");
  app = await startSandboxApp(CONFIG, { traffic: { nginx: { syncLagMs: ROUTER_LAG_MS } } });
  nginxUrl = app.sandbox.nginxUrl ?? "";
  assert.ok(nginxUrl, "the sandbox runs a real nginx");
});
after(() => app?.stop());

const load = () => startLoad({ url: nginxUrl, host: HOST, rate: 60, durationMs: 180_000, concurrency: 32 });
/** What users met: connection failures, and every 5xx (the routing layer's or a pod's). */
const userErrors = (tally: LoadTally) =>
  tally.failed +
  Object.entries(tally.statuses)
    .filter(([status]) => status.startsWith("5"))
    .reduce((sum, [, count]) => sum + count, 0);

/** Users' requests until only `version` answers, every one of them with 200. */
async function servesOnly(version: string): Promise<void> {
  await eventually(
    `nginx to send every request to ${version}`,
    async () => {
      const probe = await startLoad({ url: nginxUrl, host: HOST, rate: 40, durationMs: 500 }).done;
      return probe.statuses["200"] === probe.sent && Object.keys(probe.versions).join() === version;
    },
    30_000,
  );
}

/** Users keep coming after grayctl exits, past the router's lag: what it left behind must serve them too. */
const usersKeepComing = () => new Promise((resolve) => setTimeout(resolve, ROUTER_LAG_MS + 3_000));

const tag = (image: string) => /demo-app:([^@]+)/.exec(image)?.[1] ?? image;

test("promotion under load through a router that applies weights 5 s late: no 5xx, no connection error", async () => {
  assert.equal((await app.grayctl(["rollout", "--image", demoImage("v1")])).code, 0);
  await servesOnly("v1");
  const users = load();
  const result = await app.grayctl(["rollout", "--image", demoImage("v2")], { timeoutMs: 180_000 });
  await usersKeepComing();
  const tally = await users.stop();
  console.log(describeTally("promotion through a lagging router", tally));
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /rollout\.scaleDownDelay/);
  assert.ok((tally.versions.v2 ?? 0) > 0 && (tally.versions.v1 ?? 0) > 0, JSON.stringify(tally.versions));
  assert.equal(userErrors(tally), 0, `${describeTally("promotion", tally)} ${JSON.stringify(tally.samples)}`);
  assert.equal(
    tag(app.sandbox.store.get(R.deployments, app.namespace, "lag")?.spec.template.spec.containers[0].image),
    "v2",
  );
  await servesOnly("v2");
});

test("rollback under load through a router that applies weights 5 s late: no 5xx, no connection error", async () => {
  const paused = await app.grayctl([
    "rollout",
    "--image",
    demoImage("v3"),
    "--set",
    "rollout.steps=[{weight: 50, pause: manual}, 100]",
  ]);
  assert.equal(paused.code, 4, paused.stderr);
  const users = load();
  await eventually(
    "the canary to serve users",
    () => ((users.tally().versions.v3 ?? 0) > 20 ? true : undefined),
    30_000,
  );
  const rolledBack = await app.grayctl(["rollback"], { timeoutMs: 120_000 });
  await usersKeepComing();
  const tally = await users.stop();
  console.log(describeTally("rollback through a lagging router", tally));
  assert.equal(rolledBack.code, 0, rolledBack.stderr);
  assert.equal(app.sandbox.store.get(R.deployments, app.namespace, "lag-canary")?.spec.replicas, 0);
  assert.equal(userErrors(tally), 0, `${describeTally("rollback", tally)} ${JSON.stringify(tally.samples)}`);
  await servesOnly("v2");
});
