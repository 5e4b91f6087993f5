// The front door and the real nginx must route alike: for a table of requests
// against hosts, paths, header matches and wildcards of all three router kinds,
// both answer with the same Service (or the same 404/503). Every Service selects
// the same stand-in pod (sandbox/traffic/fake-pods.ts), so x-sandbox-service is
// the only thing that tells the routes apart.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import http from "node:http";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { Store } from "../../sandbox/store.ts";
import {
  aCanaryIngress,
  anHttpRoute,
  anIngress,
  aRouteRule,
  aVirtualService,
  weightedRoute,
} from "../../sandbox/traffic/builders.ts";
import { createService, type FakePod, startFakePod } from "../../sandbox/traffic/fake-pods.ts";
import { startTraffic, type Traffic } from "../../sandbox/traffic/index.ts";

const store = new Store();
let pod: FakePod;
let traffic: Traffic;

const SERVICES = [
  "web",
  "api",
  "health",
  "legacy",
  "wild",
  "fallback",
  "canary",
  "beta",
  "regex",
  "gw-main",
  "gw-header",
  "gw-exact",
  "quoted",
];

before(async () => {
  if (spawnSync("nginx", ["-v"]).error)
    assert.fail("nginx is missing on this machine: run scripts/real-parts.sh to install the real parts");
  for (const name of SERVICES) createService(store, name, { app: "shared" });
  createService(store, "empty", { app: "nobody" });
  pod = await startFakePod(store, { name: "shared", labels: { app: "shared" }, version: "v1" });
  const ingresses = [
    anIngress("web", { host: "ing.test", path: "/", service: "web" }),
    anIngress("api", { host: "ing.test", path: "/api", service: "api" }),
    anIngress("health", { host: "ing.test", path: "/api/health", pathType: "Exact", service: "health" }),
    anIngress("legacy", { host: "ing.test", path: "/old", pathType: "ImplementationSpecific", service: "legacy" }),
    aCanaryIngress("web-canary", {
      host: "ing.test",
      service: "canary",
      weight: 0,
      header: "x-user",
      headerPattern: "qa-[0-9]+",
    }),
    anIngress("wild", { host: "*.wild.test", service: "wild" }),
    anIngress("fallback", { service: "fallback" }),
    anIngress("empty", { host: "empty.test", service: "empty" }),
  ];
  for (const ing of ingresses) store.create(R.ingresses, "default", ing);
  store.create(
    R.virtualservices,
    "default",
    aVirtualService(
      "vs",
      ["vs.test"],
      [
        weightedRoute([["canary", undefined]], [{ headers: { "x-canary": { exact: "always" } } }]),
        weightedRoute(
          [["beta", undefined]],
          [{ headers: { "x-group": { prefix: "beta" } } }, { uri: { prefix: "/beta" } }],
        ),
        weightedRoute([["regex", undefined]], [{ uri: { regex: "/items/[0-9]+" } }]),
        weightedRoute([["quoted", undefined]], [{ headers: { "x-q": { exact: 'a"b\\c' } } }]),
        weightedRoute([["web", undefined]]),
      ],
    ),
  );
  store.create(
    R.httproutes,
    "default",
    anHttpRoute(
      "gw",
      ["gw.test"],
      [
        aRouteRule([["gw-main", undefined]]),
        aRouteRule([["gw-header", undefined]], [{ headers: [{ name: "x-canary", value: "always" }] }]),
        aRouteRule([["gw-exact", undefined]], [{ path: { type: "Exact", value: "/exact" } }]),
      ],
    ),
  );
  traffic = await startTraffic(store, { nginx: {} });
});

after(async () => {
  await traffic?.stop();
  await pod?.stop();
});

function ask(url: string, host: string, path: string, headers: Record<string, string>): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: hostname, port, path, headers: { ...headers, host }, agent: false, timeout: 5000 },
      (res) => {
        res.resume();
        const service = res.headers["x-sandbox-service"];
        res.on("end", () => resolve(res.statusCode === 200 ? String(service) : String(res.statusCode)));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
  });
}

const cases: [host: string, path: string, headers: Record<string, string>, expected: string][] = [
  ["ing.test", "/", {}, "default/web"],
  ["ing.test", "/api/orders", {}, "default/api"],
  ["ing.test", "/apiary", {}, "default/web"],
  ["ing.test", "/api/health", {}, "default/health"],
  ["ing.test", "/api/health/x", {}, "default/api"],
  ["ing.test", "/older", {}, "default/legacy"],
  ["ing.test", "/", { "x-user": "qa-12" }, "default/canary"],
  ["ing.test", "/", { "x-user": "qa-12x" }, "default/web"],
  ["ING.test:1234", "/", {}, "default/web"],
  ["a.wild.test", "/", {}, "default/wild"],
  ["a.b.wild.test", "/", {}, "default/wild"],
  ["wild.test", "/", {}, "default/fallback"],
  ["unknown.test", "/anything", {}, "default/fallback"],
  ["empty.test", "/", {}, "503"],
  ["vs.test", "/", { "x-canary": "always" }, "default/canary"],
  ["vs.test", "/", { "x-canary": "Always" }, "default/web"],
  ["vs.test", "/", { "x-group": "beta-1" }, "default/beta"],
  ["vs.test", "/betamax", {}, "default/beta"],
  ["vs.test", "/items/42", {}, "default/regex"],
  ["vs.test", "/items/42/x", {}, "default/web"],
  ["vs.test", "/", { "x-q": 'a"b\\c' }, "default/quoted"],
  ["gw.test", "/", {}, "default/gw-main"],
  ["gw.test", "/", { "x-canary": "always" }, "default/gw-header"],
  ["gw.test", "/exact", {}, "default/gw-exact"],
  ["gw.test", "/exact/not", {}, "default/gw-main"],
];

test("front door and nginx route every request of the table to the same Service", async () => {
  for (const [host, path, headers, expected] of cases) {
    const label = `${host}${path} ${JSON.stringify(headers)}`;
    assert.equal(await ask(traffic.url, host, path, headers), expected, `front door: ${label}`);
    assert.equal(await ask(traffic.nginxUrl!, host, path, headers), expected, `nginx: ${label}`);
  }
});
