// The sandbox's routing decisions, as pure functions: which Service a request
// goes to for a given set of Ingresses, VirtualServices and HTTPRoutes.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  aCanaryIngress,
  anHttpRoute,
  anIngress,
  aRouteRule,
  aVirtualService,
  weightedRoute,
} from "../../sandbox/traffic/builders.ts";
import { pickWeighted } from "../../sandbox/traffic/model.ts";
import { buildRouteTable, type RouteSources, resolveRoute } from "../../sandbox/traffic/routes.ts";
import type { KubeObject } from "../../sandbox/store.ts";

interface Case {
  name: string;
  host?: string;
  path?: string;
  headers?: Record<string, string>;
  /** The random draw in [0, 1) used for weighted choices. */
  draw?: number;
  /** Expected Service name, or 404 / 503. */
  expect: string | 404 | 503;
}

function check(sources: Partial<RouteSources>, cases: Case[]) {
  const table = buildRouteTable({ ingresses: [], virtualServices: [], httpRoutes: [], ...sources });
  for (const c of cases) {
    const result = resolveRoute(
      table,
      { host: c.host ?? "shop.example.com", path: c.path ?? "/", headers: c.headers ?? {} },
      () => c.draw ?? 0.5,
    );
    const got = result.status === "routed" ? result.backend.service : result.status === "no-route" ? 404 : 503;
    assert.equal(got, c.expect, c.name);
  }
}

const ns = (obj: KubeObject, created?: string) => ({
  ...obj,
  metadata: { ...obj.metadata, namespace: "default", creationTimestamp: created ?? obj.metadata.creationTimestamp },
});

test("Ingress rules match by host and path type", () => {
  check(
    {
      ingresses: [
        anIngress("shop", { host: "shop.example.com", path: "/", service: "web" }),
        anIngress("api", { host: "shop.example.com", path: "/api", service: "api" }),
        anIngress("exact", { host: "shop.example.com", path: "/api/health", pathType: "Exact", service: "health" }),
        anIngress("legacy", {
          host: "shop.example.com",
          path: "/old",
          pathType: "ImplementationSpecific",
          service: "legacy",
        }),
        anIngress("wild", { host: "*.example.org", service: "wildcard" }),
        anIngress("default", { service: "fallback" }),
      ],
    },
    [
      { name: "root prefix", path: "/cart", expect: "web" },
      { name: "longer prefix wins", path: "/api/orders", expect: "api" },
      { name: "Prefix matches whole elements only", path: "/apiary", expect: "web" },
      { name: "Exact beats prefix", path: "/api/health", expect: "health" },
      { name: "Exact is exact", path: "/api/health/deep", expect: "api" },
      { name: "ImplementationSpecific is a string prefix", path: "/older", expect: "legacy" },
      {
        name: "host is case-insensitive and ignores the port",
        host: "SHOP.example.com:8080",
        path: "/x",
        expect: "web",
      },
      { name: "wildcard host", host: "eu.example.org", expect: "wildcard" },
      { name: "wildcard needs a subdomain", host: "example.org", expect: "fallback" },
      { name: "unknown host goes to the hostless rule", host: "other.test", expect: "fallback" },
    ],
  );
  check({ ingresses: [anIngress("shop", { host: "shop.example.com", path: "/app", service: "web" })] }, [
    { name: "a known host with no matching path is 404, not the default", path: "/other", expect: 404 },
    { name: "no host at all", host: "nobody.test", expect: 404 },
  ]);
});

test("ingress-nginx canary annotations: header always/never, weight, weight-total", () => {
  const main = anIngress("web", { host: "shop.example.com", service: "web-stable" });
  const byHeader = aCanaryIngress("web-canary", {
    host: "shop.example.com",
    service: "web-canary",
    weight: 25,
    header: "X-Canary",
  });
  check({ ingresses: [main, byHeader] }, [
    {
      name: "always → canary even on a stable draw",
      headers: { "x-canary": "always" },
      draw: 0.99,
      expect: "web-canary",
    },
    {
      name: "never → stable even on a canary draw",
      headers: { "x-canary": "never" },
      draw: 0.01,
      expect: "web-stable",
    },
    {
      name: "other values fall through to weight (canary draw)",
      headers: { "x-canary": "yes" },
      draw: 0.9,
      expect: "web-canary",
    },
    { name: "draw below 75/100 → stable", draw: 0.74, expect: "web-stable" },
    { name: "draw above 75/100 → canary", draw: 0.76, expect: "web-canary" },
  ]);
  const total = aCanaryIngress("web-canary", {
    host: "shop.example.com",
    service: "web-canary",
    weight: 1,
    weightTotal: 4,
  });
  check({ ingresses: [main, total] }, [
    { name: "weight 1 of 4: draw 0.74 → stable", draw: 0.74, expect: "web-stable" },
    { name: "weight 1 of 4: draw 0.76 → canary", draw: 0.76, expect: "web-canary" },
  ]);
  const byValue = aCanaryIngress("web-canary", {
    host: "shop.example.com",
    service: "web-canary",
    weight: 0,
    header: "x-user",
    headerValue: "tester",
  });
  const byPattern = aCanaryIngress("web-canary", {
    host: "shop.example.com",
    service: "web-canary",
    weight: 0,
    header: "x-user",
    headerPattern: "qa-.*",
  });
  check({ ingresses: [main, byValue] }, [
    { name: "header value match → canary", headers: { "x-user": "tester" }, expect: "web-canary" },
    {
      name: "with a header value, 'always' is just another value",
      headers: { "x-user": "always" },
      expect: "web-stable",
    },
  ]);
  check({ ingresses: [main, byPattern] }, [
    { name: "pattern match → canary", headers: { "x-user": "qa-7" }, expect: "web-canary" },
    { name: "pattern must match the whole value", headers: { "x-user": "not-qa-7" }, expect: "web-stable" },
  ]);
  check(
    { ingresses: [aCanaryIngress("web-canary", { host: "shop.example.com", service: "web-canary", weight: 100 })] },
    [{ name: "a canary Ingress without a main one routes nothing", expect: 404 }],
  );
  check(
    {
      ingresses: [
        main,
        aCanaryIngress("c", { host: "shop.example.com", path: "/other", service: "web-canary", weight: 100 }),
      ],
    },
    [{ name: "a canary only shadows the same path", draw: 0.99, expect: "web-stable" }],
  );
  const older = ns(anIngress("a-old", { host: "shop.example.com", service: "old" }), "2024-01-01T00:00:00Z");
  const newer = ns(anIngress("b-new", { host: "shop.example.com", service: "new" }), "2025-01-01T00:00:00Z");
  check({ ingresses: [newer, older] }, [{ name: "the oldest main Ingress wins a conflict", expect: "old" }]);
});

test("VirtualService: match order, header and uri matches, weights", () => {
  const vs = aVirtualService(
    "web",
    ["shop.example.com", "web"],
    [
      weightedRoute([["web-canary", undefined]], [{ headers: { "x-canary": { exact: "always" } } }]),
      weightedRoute(
        [["beta", undefined]],
        [{ headers: { "x-group": { prefix: "beta" } } }, { uri: { prefix: "/beta" } }],
      ),
      weightedRoute([["regex", 100]], [{ headers: { "x-id": { regex: "[0-9]+" } } }]),
      weightedRoute([["api.prod.svc.cluster.local", 100]], [{ uri: { exact: "/api" } }]),
      weightedRoute([
        ["web-stable", 75],
        ["web-canary", 25],
      ]),
    ],
  );
  check({ virtualServices: [vs] }, [
    {
      name: "header route first",
      headers: { "x-canary": "always", "x-group": "beta-1" },
      draw: 0.1,
      expect: "web-canary",
    },
    { name: "match[] entries are ORed (header)", headers: { "x-group": "beta-2" }, expect: "beta" },
    { name: "match[] entries are ORed (uri prefix is a string prefix)", path: "/betamax", expect: "beta" },
    { name: "regex matches the whole value", headers: { "x-id": "42" }, expect: "regex" },
    { name: "regex does not match partially", headers: { "x-id": "42a" }, draw: 0.1, expect: "web-stable" },
    { name: "FQDN destination names the Service", path: "/api", expect: "api" },
    { name: "75/25 split, stable draw", draw: 0.74, expect: "web-stable" },
    { name: "75/25 split, canary draw", draw: 0.76, expect: "web-canary" },
    { name: "mesh host name", host: "web", draw: 0.1, expect: "web-stable" },
  ]);
  check({ virtualServices: [aVirtualService("all", ["*"], [weightedRoute([["everything", undefined]])])] }, [
    { name: "'*' host catches every host", host: "any.test", expect: "everything" },
  ]);
  check(
    {
      virtualServices: [
        aVirtualService(
          "z",
          ["shop.example.com"],
          [
            weightedRoute([
              ["a", 0],
              ["b", 0],
            ]),
          ],
        ),
      ],
    },
    [{ name: "all weights zero → 503", expect: 503 }],
  );
});

test("HTTPRoute: precedence, header matches, proportional weights", () => {
  const route = anHttpRoute(
    "web",
    ["shop.example.com"],
    [
      aRouteRule([
        ["web-stable", 3],
        ["web-canary", 1],
      ]),
      aRouteRule([["web-canary", undefined]], [{ headers: [{ name: "X-Canary", value: "always" }] }]),
      aRouteRule([["regex", undefined]], [{ headers: [{ type: "RegularExpression", name: "x-id", value: "[0-9]+" }] }]),
      aRouteRule([["api", undefined]], [{ path: { type: "PathPrefix", value: "/api" } }]),
      aRouteRule([["health", undefined]], [{ path: { type: "Exact", value: "/api/health" } }]),
      aRouteRule(
        [
          ["drained", 0],
          ["kept", undefined],
        ],
        [{ path: { type: "PathPrefix", value: "/kept" } }],
      ),
      aRouteRule([["by-method", undefined]], [{ method: "POST" }]),
    ],
  );
  check({ httpRoutes: [route] }, [
    {
      name: "a header rule beats a plain rule declared before it",
      headers: { "x-canary": "always" },
      draw: 0.1,
      expect: "web-canary",
    },
    { name: "header values are exact", headers: { "x-canary": "Always" }, draw: 0.1, expect: "web-stable" },
    { name: "RegularExpression header", headers: { "x-id": "7" }, expect: "regex" },
    { name: "longer prefix beats '/'", path: "/api/orders", expect: "api" },
    { name: "Exact beats prefix", path: "/api/health", expect: "health" },
    { name: "3:1 weights, draw 0.74 → stable", draw: 0.74, expect: "web-stable" },
    { name: "3:1 weights, draw 0.76 → canary", draw: 0.76, expect: "web-canary" },
    { name: "weight 0 gets nothing; default weight is 1", path: "/kept", draw: 0.0, expect: "kept" },
  ]);
  check({ httpRoutes: [anHttpRoute("any", undefined, [aRouteRule([["web", undefined]])])] }, [
    { name: "no hostnames: every host", host: "whatever.test", expect: "web" },
  ]);
});

test("when kinds claim the same host, VirtualService beats HTTPRoute beats Ingress", () => {
  const ingress = anIngress("web", { host: "shop.example.com", service: "from-ingress" });
  const httpRoute = anHttpRoute("web", ["shop.example.com"], [aRouteRule([["from-httproute", undefined]])]);
  const vs = aVirtualService("web", ["shop.example.com"], [weightedRoute([["from-vs", undefined]])]);
  check({ ingresses: [ingress], httpRoutes: [httpRoute] }, [
    { name: "HTTPRoute over Ingress", expect: "from-httproute" },
  ]);
  check({ ingresses: [ingress], httpRoutes: [httpRoute], virtualServices: [vs] }, [
    { name: "VirtualService over all", expect: "from-vs" },
  ]);
  check(
    {
      ingresses: [ingress],
      virtualServices: [aVirtualService("o", ["other.test"], [weightedRoute([["o", undefined]])])],
    },
    [{ name: "other hosts keep their own kind", expect: "from-ingress" }],
  );
});

test("weighted choice follows the weights and skips zero weights", () => {
  const backends = [
    { namespace: "default", service: "a", weight: 1 },
    { namespace: "default", service: "zero", weight: 0 },
    { namespace: "default", service: "b", weight: 3 },
  ];
  const counts: Record<string, number> = {};
  for (let i = 0; i < 400; i++) {
    const picked = pickWeighted(backends, () => (i + 0.5) / 400)!;
    counts[picked.service] = (counts[picked.service] ?? 0) + 1;
  }
  assert.deepEqual(counts, { a: 100, b: 300 });
  assert.equal(pickWeighted([{ namespace: "d", service: "z", weight: 0 }], Math.random), undefined);
});
