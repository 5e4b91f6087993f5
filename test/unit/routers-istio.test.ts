// The VirtualService routes grayctl owns, as pure functions: created, adopted,
// re-applied (no change), and the adopted shapes it refuses to split.
import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../../src/errors.ts";
import { canaryWeightOf, type HttpRoute, initialRoutes, withCanaryWeight } from "../../src/routers/istio-routes.ts";
import { sameSpec, type Split } from "../../src/routers/route-object.ts";

const SECRET = "0123456789abcdef-pin";
// With traffic.pin and its secret at hand; `open` is the default: no pinning at all.
const split: Split = {
  namespace: "shop",
  pin: { header: "x-canary", value: SECRET },
  stable: "web-stable",
  canary: "web-canary",
};
const open: Split = { namespace: "shop", stable: "web-stable", canary: "web-canary" };
const to = (host: string, weight?: number) => ({
  destination: { host, port: { number: 80 } },
  ...(weight === undefined ? {} : { weight }),
});
const weightsOf = (http: HttpRoute[]) =>
  http.at(-1)!.route!.map((d) => [d.destination.host, d.weight] as [string, number | undefined]);

test("created with traffic.pin: the secret's route first, then stable 100 / canary 0; a path other than / becomes a uri prefix on each", () => {
  const http = initialRoutes(split, "/api");
  assert.deepEqual(
    http.map((r) => [r.name, r.match, r.route?.map((d) => d.destination.host)]),
    [
      [
        "grayctl-canary-by-header",
        [{ uri: { prefix: "/api" }, headers: { "x-canary": { exact: SECRET } } }],
        ["web-canary"],
      ],
      ["grayctl-split", [{ uri: { prefix: "/api" } }], ["web-stable", "web-canary"]],
    ],
  );
  assert.deepEqual(weightsOf(http), [
    ["web-stable", 100],
    ["web-canary", 0],
  ]);
  assert.equal(initialRoutes(split, "/")[1].match, undefined, "path / is a catch-all route");
});

test("created without traffic.pin: the weighted route alone, no header reaches the canary", () => {
  const http = withCanaryWeight(initialRoutes(open, "/"), open, 10);
  assert.deepEqual(
    http.map((r) => r.name),
    ["grayctl-split"],
  );
  assert.doesNotMatch(JSON.stringify(http), /headers|always/);
});

test("open pins of older versions (x-canary: always/never) are removed on every write, with or without traffic.pin", () => {
  const old: HttpRoute[] = [
    {
      name: "grayctl-canary-by-header",
      match: [{ headers: { "x-canary": { exact: "always" } } }],
      route: [to("web-canary")],
    },
    {
      name: "grayctl-stable-by-header",
      match: [{ headers: { "x-canary": { exact: "never" } } }],
      route: [to("web-stable")],
    },
    { name: "grayctl-split", route: [to("web-stable", 90), to("web-canary", 10)] },
  ];
  assert.deepEqual(
    withCanaryWeight(old, open, 10).map((r) => r.name),
    ["grayctl-split"],
  );
  const pinned = withCanaryWeight(old, split, 10);
  assert.deepEqual(
    pinned.map((r) => [r.name, JSON.stringify(r.match ?? [])]),
    [
      ["grayctl-canary-by-header", JSON.stringify([{ headers: { "x-canary": { exact: SECRET } } }])],
      ["grayctl-split", "[]"],
    ],
  );
  // Without the secret at hand (a rollback from a laptop): the secret's route stays, open ones still go.
  const noSecret: Split = { ...split, pin: { header: "x-canary" } };
  assert.deepEqual(
    withCanaryWeight([...old.slice(0, 2), ...pinned], noSecret, 0).map((r) => r.name),
    ["grayctl-canary-by-header", "grayctl-split"],
  );
  assert.match(JSON.stringify(withCanaryWeight([...old.slice(0, 2), ...pinned], noSecret, 0)), new RegExp(SECRET));
});

test("weights sum to 100 at every step; re-applying a weight changes nothing", () => {
  let http = initialRoutes(split, "/");
  for (const weight of [5, 25, 50, 100, 0]) {
    http = withCanaryWeight(http, split, weight);
    assert.deepEqual(weightsOf(http), [
      ["web-stable", 100 - weight],
      ["web-canary", weight],
    ]);
    assert.equal(canaryWeightOf(http, split), weight);
    assert.ok(sameSpec(withCanaryWeight(http, split, weight), http), `idempotent at ${weight}`);
    assert.equal(http.length, 2, "the pin route is never duplicated");
  }
});

test("adopted: the team's routes and fields stay; the canary is modelled on stable's host form and port", () => {
  const admin: HttpRoute = { name: "admin", match: [{ uri: { prefix: "/admin" } }], route: [to("admin")] };
  const main: HttpRoute = { name: "main", retries: { attempts: 3 }, route: [to("web-stable.shop.svc.cluster.local")] };
  const adopted = withCanaryWeight([admin, main], split);
  assert.deepEqual(adopted[0], admin);
  assert.deepEqual(
    adopted.map((r) => r.name),
    ["admin", "grayctl-canary-by-header", "main"],
  );
  assert.deepEqual(adopted[2], {
    name: "main",
    retries: { attempts: 3 },
    route: [to("web-stable.shop.svc.cluster.local", 100), to("web-canary.shop.svc.cluster.local", 0)],
  });
  assert.equal(canaryWeightOf([admin, main], split), 0, "a lone stable destination: 0 % canary");
  assert.equal(canaryWeightOf([{ route: [to("web-canary")] }], split), 100, "a lone canary destination takes all");
});

test("without a weight, the weights the route has now are kept (a re-run of prepare mid-rollout)", () => {
  const http = withCanaryWeight(initialRoutes(split, "/"), split, 25);
  assert.ok(sameSpec(withCanaryWeight(http, split), http));
});

test("a pin route the team wrote for the same header is replaced, not duplicated (header names are case-insensitive)", () => {
  const theirs: HttpRoute = { match: [{ headers: { "X-Canary": { exact: "let-me-in" } } }], route: [to("web-canary")] };
  const http = withCanaryWeight([theirs, { route: [to("web-stable")] }], split, 10);
  assert.equal(http.length, 2);
  assert.deepEqual(weightsOf(http), [
    ["web-stable", 90],
    ["web-canary", 10],
  ]);
});

test("adopted shapes grayctl cannot split are refused with what to do (exit 2); reading them is not", () => {
  const cases: [string, HttpRoute[], RegExp][] = [
    ["no route to stable", [{ route: [to("web")] }], /no route of the VirtualService sends traffic to web-stable/],
    ["stable in another namespace", [{ route: [to("web-stable.other")] }], /no route/],
    ["a shared route", [{ route: [to("web-stable", 80), to("legacy", 20)] }], /also sends traffic to legacy/],
  ];
  assert.equal(
    canaryWeightOf([{ route: [to("web")] }], split),
    0,
    "reading never refuses: no route to the tracks is 0 %",
  );
  for (const [name, http, message] of cases) {
    assert.throws(
      () => withCanaryWeight(http, split, 10),
      (error) => error instanceof UsageError && error.exitCode === 2 && message.test(error.message),
      name,
    );
  }
});
