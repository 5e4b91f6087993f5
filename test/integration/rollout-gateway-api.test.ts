// The gateway-api router against the sandbox, run as the built binary: the
// shared acceptance (ramp, rollback, manual pause, measured split, invariant 1;
// header pinning in router-pinning.test.ts)
// and what is Gateway API's own: the HTTPRoute grayctl creates, and one it adopts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { demoImage, startSandboxApp } from "../helpers/sandbox-app.ts";
import { weightedRouterSuite } from "../helpers/weighted-router-suite.ts";

// HTTPRoutes as the API server returns them, with the CRD's defaults filled in
// (group and kind of references, weight 1, PathPrefix "/").
const backend = (name: string, port: number, weight = 1) => ({ group: "", kind: "Service", name, port, weight });
const gateway = (ref: Record<string, string>) => ({ group: "gateway.networking.k8s.io", kind: "Gateway", ...ref });

describe("gateway-api rollout", () => {
  weightedRouterSuite("gateway-api", (app) => {
    const route = app.sandbox.store.get(R.httproutes, app.namespace, "shop");
    assert.ok(route, "HTTPRoute shop was created");
    assert.equal(route.apiVersion, "gateway.networking.k8s.io/v1");
    assert.equal(route.metadata.labels?.["app.kubernetes.io/managed-by"], "grayctl");
    assert.deepEqual(route.spec.hostnames, ["shop.local"]);
    assert.deepEqual(route.spec.parentRefs, [gateway({ name: "shop-gateway" })]);
    assert.deepEqual(route.spec.rules, [
      {
        matches: [{ path: { type: "PathPrefix", value: "/" } }],
        backendRefs: [backend("shop-stable", 80, 100), backend("shop-canary", 80, 0)],
      },
    ]);
  });
});

const ADOPTED = `app: books
namespace: default
deployment:
  replicas: 2
traffic:
  router: gateway-api
  host: books.local
rollout:
  steps: [{weight: 50, pause: manual}, 100]
  interval: 1s
  readyTimeout: 6s
`;

const admin = {
  matches: [{ path: { type: "PathPrefix", value: "/admin" } }],
  backendRefs: [{ name: "books-admin", port: 8080 }],
};
const docs = { matches: [{ path: { type: "PathPrefix", value: "/docs" } }], backendRefs: [{ name: "wiki", port: 80 }] };

test("gateway-api: an adopted HTTPRoute keeps the team's rules and fields through a promotion, even one added mid-rollout and under 409s", async () => {
  const app = await startSandboxApp(ADOPTED);
  try {
    const { store } = app.sandbox;
    const main = {
      matches: [{ path: { type: "PathPrefix", value: "/" } }],
      timeouts: { request: "5s" },
      backendRefs: [{ name: "books-stable", port: 80 }],
    };
    await app.create(R.httproutes, {
      metadata: { name: "books", labels: { team: "books" } },
      spec: {
        parentRefs: [{ name: "public", namespace: "gateways", sectionName: "https" }],
        hostnames: ["books.local", "www.books.local"],
        rules: [admin, main],
      },
    });
    const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
    assert.equal(first.code, 0, first.stderr);
    const paused = await app.grayctl(["rollout", "--image", demoImage("v2")]);
    assert.equal(paused.code, 4, paused.stderr);
    // The team edits its HTTPRoute while the canary is paused at 50 %.
    await app.mutate(R.httproutes, "books", (route) => {
      route.spec.rules.unshift(docs);
    });
    // And the API server answers the first two weight writes with 409 Conflict: re-read, re-applied.
    app.sandbox.faults.set([
      { name: "409", verbs: ["update"], path: /httproutes/, action: { type: "conflict" }, limit: 2 },
    ]);
    const promoted = await app.grayctl(["promote"]);
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.equal(app.sandbox.faults.count("409"), 2);

    const route = store.get(R.httproutes, app.namespace, "books")!;
    assert.deepEqual(route.metadata.labels, { team: "books" }, "adopted, not marked as grayctl's");
    assert.deepEqual(route.spec.parentRefs, [gateway({ name: "public", namespace: "gateways", sectionName: "https" })]);
    assert.deepEqual(route.spec.hostnames, ["books.local", "www.books.local"]);
    const defaulted = (rule: { backendRefs: { name: string; port: number }[] }) => ({
      ...rule,
      backendRefs: rule.backendRefs.map((ref) => backend(ref.name, ref.port)),
    });
    assert.deepEqual(route.spec.rules, [
      defaulted(docs),
      defaulted(admin),
      {
        ...main,
        backendRefs: [backend("books-stable", 80, 100), backend("books-canary", 80, 0)],
      },
    ]);
  } finally {
    await app.stop();
  }
});
