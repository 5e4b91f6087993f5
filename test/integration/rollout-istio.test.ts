// The istio router against the sandbox, run as the built binary: the shared
// acceptance (ramp, rollback, manual pause, measured split, invariant 1; header pinning in router-pinning.test.ts) and
// what is Istio's own: the VirtualService grayctl creates, and one it adopts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { demoImage, startSandboxApp } from "../helpers/sandbox-app.ts";
import { weightedRouterSuite } from "../helpers/weighted-router-suite.ts";

describe("istio rollout", () => {
  weightedRouterSuite("istio", (app) => {
    const vs = app.sandbox.store.get(R.virtualservices, app.namespace, "shop");
    assert.ok(vs, "VirtualService shop was created");
    assert.equal(vs.apiVersion, "networking.istio.io/v1");
    assert.equal(vs.metadata.labels?.["app.kubernetes.io/managed-by"], "grayctl");
    assert.deepEqual(vs.spec.hosts, ["shop.local"]);
    assert.deepEqual(vs.spec.gateways, ["shop-gateway"]);
    assert.deepEqual(vs.spec.http, [
      {
        name: "grayctl-split",
        route: [
          { destination: { host: "shop-stable", port: { number: 80 } }, weight: 100 },
          { destination: { host: "shop-canary", port: { number: 80 } }, weight: 0 },
        ],
      },
    ]);
  });
});

const ADOPTED = `app: books
namespace: default
deployment:
  replicas: 2
traffic:
  router: istio
  host: books.local
rollout:
  steps: [{weight: 50, pause: manual}, 100]
  interval: 1s
  readyTimeout: 6s
`;

const admin = {
  name: "admin",
  match: [{ uri: { prefix: "/admin" } }],
  route: [{ destination: { host: "books-admin", port: { number: 8080 } } }],
};
const docs = { name: "docs", match: [{ uri: { prefix: "/docs" } }], route: [{ destination: { host: "wiki" } }] };

test("istio: an adopted VirtualService keeps the team's routes and fields through a promotion, even one added mid-rollout and under 409s", async () => {
  const app = await startSandboxApp(ADOPTED);
  try {
    const { store } = app.sandbox;
    await app.create(R.virtualservices, {
      metadata: { name: "books", labels: { team: "books" } },
      spec: {
        hosts: ["books.local"],
        gateways: ["istio-system/public"],
        http: [
          admin,
          {
            name: "main",
            timeout: "5s",
            route: [{ destination: { host: `books-stable.${app.namespace}.svc.cluster.local`, port: { number: 80 } } }],
          },
        ],
      },
    });
    const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
    assert.equal(first.code, 0, first.stderr);
    const paused = await app.grayctl(["rollout", "--image", demoImage("v2")]);
    assert.equal(paused.code, 4, paused.stderr);
    // The team edits its VirtualService while the canary is paused at 50 %.
    await app.mutate(R.virtualservices, "books", (vs) => {
      vs.spec.http.splice(1, 0, docs);
    });
    // And the API server answers the first two weight writes with 409 Conflict: re-read, re-applied.
    app.sandbox.faults.set([
      { name: "409", verbs: ["update"], path: /virtualservices/, action: { type: "conflict" }, limit: 2 },
    ]);
    const promoted = await app.grayctl(["promote"]);
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.equal(app.sandbox.faults.count("409"), 2);

    const vs = store.get(R.virtualservices, app.namespace, "books")!;
    assert.deepEqual(vs.metadata.labels, { team: "books" }, "adopted, not marked as grayctl's");
    assert.deepEqual(vs.spec.hosts, ["books.local"]);
    assert.deepEqual(vs.spec.gateways, ["istio-system/public"]);
    const fqdn = (track: string) => `books-${track}.${app.namespace}.svc.cluster.local`;
    assert.deepEqual(vs.spec.http, [
      admin,
      docs,
      {
        name: "main",
        timeout: "5s",
        route: [
          { destination: { host: fqdn("stable"), port: { number: 80 } }, weight: 100 },
          { destination: { host: fqdn("canary"), port: { number: 80 } }, weight: 0 },
        ],
      },
    ]);
  } finally {
    await app.stop();
  }
});

test("istio: an adopted VirtualService grayctl cannot split stops the first deploy with exit 2 naming it; fixed, `grayctl resume` finishes", async () => {
  const app = await startSandboxApp(ADOPTED);
  try {
    const { store } = app.sandbox;
    // The team's route goes to the Service selecting both tracks: splitting it would not split anything.
    await app.create(R.virtualservices, {
      metadata: { name: "books" },
      spec: { hosts: ["books.local"], http: [{ route: [{ destination: { host: "books" } }] }] },
    });
    const refused = await app.grayctl(["rollout", "--image", demoImage("v1")]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /no route of the VirtualService sends traffic to books-stable/);
    assert.match(refused.stderr, /Add a route with destination host books-stable/);
    const status = await app.grayctl(["status"]);
    assert.match(status.stdout, /canary traffic: 0% now/);
    await app.mutate(R.virtualservices, "books", (vs) => {
      vs.spec.http[0].route[0].destination.host = "books-stable";
    });
    const resumed = await app.grayctl(["resume"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(
      store.get(R.virtualservices, app.namespace, "books")!.spec.http.length,
      1,
      "the weighted route alone: no pinning configured",
    );
  } finally {
    await app.stop();
  }
});
