// Pure rendering: the nginx configuration text and the Prometheus file_sd groups.
// (That nginx accepts and routes by the text is tested against the real nginx in
// test/real/sandbox-nginx*.test.ts.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { HOST_PORTS_ANNOTATION } from "../../sandbox/endpoints.ts";
import type { KubeObject } from "../../sandbox/store.ts";
import { anHttpRoute, aRouteRule, aVirtualService, weightedRoute } from "../../sandbox/traffic/builders.ts";
import type { Backend } from "../../sandbox/traffic/model.ts";
import { headerVariable, pathRegex, quote, renderNginxConfig } from "../../sandbox/traffic/nginx-config.ts";
import { sanitiseLabelName, targetGroups } from "../../sandbox/traffic/prometheus-targets.ts";
import { buildRouteTable, type RouteSources } from "../../sandbox/traffic/routes.ts";

const endpointsFor = (ports: Record<string, number[]>) => (backend: Backend) =>
  (ports[backend.service] ?? []).map((port, i) => ({
    host: "127.0.0.1",
    port,
    name: `${backend.namespace}/${backend.service}-${i}`,
  }));

function render(sources: Partial<RouteSources>, ports: Record<string, number[]>): string {
  const table = buildRouteTable({ ingresses: [], virtualServices: [], httpRoutes: [], ...sources });
  return renderNginxConfig(
    { table, endpoints: endpointsFor(ports), port: 18080, workDir: "/tmp/w", runAsRoot: false },
    7,
  );
}

test("weights become split_clients shares keyed on a per-request random value", () => {
  const conf = render(
    {
      httpRoutes: [
        anHttpRoute(
          "r",
          ["gw.test"],
          [
            aRouteRule([
              ["a", 1],
              ["b", 1],
              ["c", 1],
              ["zero", 0],
            ]),
          ],
        ),
      ],
    },
    { a: [1001], b: [1002], c: [1003], zero: [1004] },
  );
  assert.match(
    conf,
    /split_clients "\$\{request_id\}" \$sbx_h0_r0_pick \{\n {4}33\.33% sbx_u0;\n {4}33\.33% sbx_u1;\n {4}\* sbx_u2;\n {2}\}/,
  );
  assert.doesNotMatch(conf, /127\.0\.0\.1:1004/, "a weight-0 backend gets no upstream");
  assert.match(conf, /upstream sbx_u0 \{\n {4}server 127\.0\.0\.1:1001;/);
  assert.match(conf, /server_name "gw\.test";/);
});

test("a backend without ready endpoints answers 503; an unmatched request 404", () => {
  const conf = render(
    { virtualServices: [aVirtualService("v", ["vs.test"], [weightedRoute([["gone", undefined]])])] },
    {},
  );
  assert.match(conf, /"~\^1" sbx_503;/);
  assert.match(conf, /default sbx_404;/);
  assert.match(conf, /if \(\$sbx_up = sbx_503\) \{ return 503/);
});

test("everything nginx writes stays in the work dir, on a loopback listener", () => {
  const conf = render({}, {});
  for (const line of conf.split("\n").filter((l) => /(_path|pid|error_log) /.test(l)))
    assert.match(line, /"\/tmp\/w\//, line);
  assert.match(conf, /listen 127\.0\.0\.1:18080 default_server deferred;/);
  assert.match(conf, /daemon off;/);
  assert.doesNotMatch(conf, /^user /m, "only a root master sets the worker user");
  assert.match(conf, /server_name sandbox-status\.invalid;\n {4}location \/ \{ return 200 "7\\n"; \}/);
});

test("matches become anchored regexes on $uri and $http_NAME", () => {
  const cases: [Parameters<typeof pathRegex>[0], string | undefined][] = [
    [{ type: "prefix", value: "/api/" }, "^\\/api(?:/.*)?$"],
    [{ type: "prefix", value: "/" }, undefined],
    [{ type: "string-prefix", value: "/a.b" }, "^\\/a\\.b"],
    [{ type: "exact", value: "/x" }, "^\\/x$"],
    [{ type: "regex", value: "/items/[0-9]+" }, "^(?:/items/[0-9]+)$"],
  ];
  for (const [match, expected] of cases) assert.equal(pathRegex(match), expected, JSON.stringify(match));
  assert.equal(headerVariable("X-Canary-By"), "$http_x_canary_by");
  assert.equal(quote('a"b\\c'), '"a\\"b\\\\c"');
});

test("Prometheus targets: ready pods with a host port, labels sanitised", () => {
  const pod = (name: string, ready: boolean, extra: Partial<KubeObject["metadata"]> = {}): KubeObject => ({
    metadata: {
      name,
      namespace: "shop",
      labels: { app: "web", track: "canary", "app.kubernetes.io/version": "2", "9lives": "x" },
      annotations: { [HOST_PORTS_ANNOTATION]: JSON.stringify({ 8080: 4000, 9090: 4001 }) },
      ...extra,
    },
    spec: { containers: [{ ports: [{ containerPort: 8080 }] }] },
    status: { conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
  });
  const groups = targetGroups([
    pod("b-ready", true),
    pod("a-not-ready", false),
    pod("c-no-port", true, { annotations: {} }),
    pod("d-metrics-port", true, {
      annotations: {
        [HOST_PORTS_ANNOTATION]: JSON.stringify({ 8080: 5000, 9090: 5001 }),
        "prometheus.io/port": "9090",
        "prometheus.io/path": "/m",
      },
    }),
  ]);
  assert.deepEqual(
    groups.map((g) => g.targets[0]),
    ["127.0.0.1:4000", "127.0.0.1:5001"],
  );
  assert.deepEqual(groups[0].labels, {
    app: "web",
    track: "canary",
    app_kubernetes_io_version: "2",
    _9lives: "x",
    namespace: "shop",
    pod: "b-ready",
  });
  assert.equal(groups[1].labels.__metrics_path__, "/m");
  assert.equal(sanitiseLabelName("__reserved"), "_reserved");
});
