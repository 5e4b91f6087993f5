// The acceptance every weight-and-header router (istio, gateway-api) meets
// against the sandbox, run as the built binary: the ramp writes the plan's
// weights, a bad canary ends at 0 %, a manual pause holds, a paused 25 % step measures as 25 % over 1,000 requests, invariant 1
// holds throughout, and templates/rbac.yaml allows every request made. Router-specific checks (the object's shape, adoption) live
// in each router's own test file.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import { parseAllDocuments } from "yaml";
import { seededRandom } from "../../sandbox/faults.ts";
import { R } from "../../sandbox/resources.ts";
import { sendLoad, sharePercent } from "../../sandbox/traffic/load.ts";
import { watchRouteWeights } from "./route-watcher.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "./sandbox-app.ts";
import type { TrafficWatcher } from "./traffic-watcher.ts";

const HOST = "shop.local";

export const suiteConfig = (router: string) => `app: shop
namespace: default
deployment:
  replicas: 3
traffic:
  router: ${router}
  host: ${HOST}
  gateway: shop-gateway
rollout:
  steps: [10, 50, 100]
  interval: 1s
  readyTimeout: 6s
  progressDeadline: 2m
`;

const lastResult = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1)!);
const stepWeights = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line))
    .filter((e) => e.type === "step")
    .map((e) => e.weight);

export function weightedRouterSuite(
  router: "istio" | "gateway-api",
  checkCreated: (app: SandboxApp) => void,
): { app: () => SandboxApp } {
  let app: SandboxApp;
  let watcher: TrafficWatcher;
  const requests: { method: string; url: string }[] = [];
  const stableImage = () =>
    app.sandbox.store.get(R.deployments, app.namespace, "shop")?.spec.template.spec.containers[0].image;
  const canaryReplicas = () => app.sandbox.store.get(R.deployments, app.namespace, "shop-canary")?.spec.replicas;
  const load = (count: number, headers?: Record<string, string>) =>
    sendLoad({ url: app.sandbox.frontDoorUrl!, host: HOST, count, concurrency: 16, headers });

  before(async () => {
    app = await startSandboxApp(suiteConfig(router), {
      onRequest: (method, url) => requests.push({ method, url }),
      // The front door draws each request's backend at random; a seed makes the measured split repeatable
      // (unseeded, 1,000 requests at 25 % land outside ±4 points about 0.4 % of the time).
      traffic: { rng: seededRandom(1) },
    });
    watcher = watchRouteWeights(app.sandbox.store, router, { namespace: app.namespace, app: "shop", host: HOST });
  });
  after(async () => {
    watcher.stop();
    await app.stop();
  });

  test(`${router}: first deploy goes to stable and creates the routing object at 0 % canary`, async () => {
    const result = await app.grayctl(["rollout", "--image", demoImage("v1"), "-o", "json"]);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.equal(lastResult(result.stdout).outcome, "deployed");
    assert.deepEqual(watcher.weights, [0]);
    checkCreated(app);
    assert.deepEqual((await load(20)).versions, { v1: 20 });
  });

  test(`${router}: v2 is promoted through 10, 50, 100 with the route's weights equal to the plan`, async () => {
    const from = watcher.weights.length;
    const result = await app.grayctl(["rollout", "--image", demoImage("v2"), "-o", "json"]);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.equal(lastResult(result.stdout).outcome, "promoted");
    assert.deepEqual(stepWeights(result.stdout), [10, 50, 100]);
    assert.deepEqual(watcher.weights.slice(from), [10, 50, 100, 0]);
    assert.equal(stableImage(), demoImage("v2"));
    assert.equal(canaryReplicas(), 0);
    assert.deepEqual((await load(20)).versions, { v2: 20 });
  });

  test(`${router}: an unhealthy canary is rolled back, exit 3, weights end at 0 % canary`, async () => {
    const from = watcher.weights.length;
    const result = await app.grayctl(["rollout", "--image", demoImage("v3-unhealthy"), "-o", "json"]);
    assert.equal(result.code, 3, result.stderr + result.stdout);
    assert.equal(lastResult(result.stdout).outcome, "rolled-back");
    const seen = watcher.weights.slice(from);
    assert.ok(
      seen.every((w) => w <= 10),
      `weights ${seen}`,
    );
    assert.equal(watcher.weights.at(-1), 0);
    assert.equal(stableImage(), demoImage("v2"));
    assert.equal(canaryReplicas(), 0);
  });

  // Header pinning (closed by default, a secret when configured) has its own suite: router-pinning.test.ts.
  test(`${router}: a manual pause holds the canary at 10 % until promote`, async () => {
    const manual = ["--set", "rollout.steps=[{weight: 10, pause: manual}, 100]"];
    const paused = await app.grayctl(["rollout", "--image", demoImage("v4"), ...manual]);
    assert.equal(paused.code, 4, paused.stderr);
    assert.equal(watcher.weights.at(-1), 10);
    const promoted = await app.grayctl(["promote"]);
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.equal(stableImage(), demoImage("v4"));
    assert.equal(watcher.weights.at(-1), 0);
  });

  test(`${router}: a paused 25 % step splits 1,000 requests through the front door within 4 points`, async (t) => {
    const manual = ["--set", "rollout.steps=[{weight: 25, pause: manual}, 100]"];
    const paused = await app.grayctl(["rollout", "--image", demoImage("v5"), ...manual]);
    assert.equal(paused.code, 4, paused.stderr);
    const result = await load(1000);
    assert.deepEqual(result.statuses, { 200: 1000 });
    const canary = sharePercent(result, "v5");
    t.diagnostic(`${router}: canary share at 25 %: ${canary.toFixed(1)} % of 1,000 requests`);
    console.log(`${router}: measured canary share at a 25 % step: ${canary.toFixed(1)} % of 1,000 requests`);
    assert.ok(Math.abs(canary - 25) <= 4, `canary share ${canary.toFixed(1)} %`);
    const rollback = await app.grayctl(["rollback"]);
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.equal(watcher.weights.at(-1), 0);
    assert.deepEqual((await load(20)).versions, { v4: 20 });
  });

  test(`${router}: the watcher never saw weight on a track without ready pods`, () => {
    assert.ok(watcher.weights.length >= 8, `the watcher observed the ramps: ${watcher.weights}`);
    assert.deepEqual(watcher.violations, []);
  });

  test(`${router}: templates/rbac.yaml allows every request grayctl made`, async () => {
    const rules = await roleRules();
    const denied = new Set<string>();
    for (const { method, url } of requests) {
      const call = resourceRequest(method, url);
      if (!call) continue;
      const allowed = rules.some(
        (r) => r.apiGroups.includes(call.group) && r.resources.includes(call.resource) && r.verbs.includes(call.verb),
      );
      if (!allowed) denied.add(`${call.verb} ${call.resource} (${call.group || "core"})`);
    }
    assert.ok(
      requests.some((r) => /virtualservices|httproutes/.test(r.url)),
      "the routing object was requested",
    );
    assert.deepEqual([...denied], []);
  });

  return { app: () => app };
}

async function roleRules(): Promise<{ apiGroups: string[]; resources: string[]; verbs: string[] }[]> {
  const text = await readFile(new URL("../../templates/rbac.yaml", import.meta.url), "utf8");
  return parseAllDocuments(text)
    .map((d) => d.toJS())
    .find((d) => d?.kind === "Role").rules;
}

/** (group, resource, verb) of a namespaced resource request; undefined for discovery. */
function resourceRequest(method: string, url: string) {
  const [path, query = ""] = url.split("?");
  const match = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)\/namespaces\/[^/]+\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?/.exec(
    path,
  );
  if (!match) return undefined;
  const [, group = "", resource, name, sub] = match;
  const watch = /(^|&)watch=(1|true)/.test(query);
  const verbs: Record<string, string> = {
    GET: name ? "get" : watch ? "watch" : "list",
    POST: "create",
    PUT: "update",
    PATCH: "patch",
    DELETE: "delete",
  };
  return { group, resource: sub ? `${resource}/${sub}` : resource, verb: verbs[method] ?? method.toLowerCase() };
}
