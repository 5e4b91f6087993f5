import assert from "node:assert/strict";
import { test } from "node:test";
import { builtinQueries, podsRegex, promDuration, renderQuery } from "../../src/analysis/promql.ts";

const vars = {
  app: "checkout",
  namespace: "shop",
  track: "canary" as const,
  pods: ["checkout-canary-7d9f.x", "checkout-canary-abc"],
  intervalMs: 60_000,
  windowMs: 45_500,
};

test("renders every variable, escaping for a PromQL string and a regex", () => {
  const rendered = renderQuery(
    'x{app="{{app}}",namespace="{{ namespace }}",track="{{track}}",pod=~"{{pods}}"}[{{interval}}] offset {{window}}',
    vars,
  );
  assert.deepEqual(rendered, {
    ok: true,
    query:
      'x{app="checkout",namespace="shop",track="canary",pod=~"checkout-canary-7d9f\\\\.x|checkout-canary-abc"}[60s] offset 46s',
  });
});

test("quotes in values cannot break out of the string", () => {
  const rendered = renderQuery('x{app="{{app}}"}', { ...vars, app: 'a"} or vector(1) #' });
  assert.ok(rendered.ok);
  if (rendered.ok) assert.equal(rendered.query, 'x{app="a\\"} or vector(1) #"}');
});

test("an unknown variable is an error value, not a silent blank", () => {
  assert.deepEqual(renderQuery("x[{{windw}}]", vars), { ok: false, why: "unknown template variable(s): windw" });
});

test("no pods renders a regex that matches nothing rather than everything", () => {
  assert.equal(podsRegex([]), "grayctl-no-pods");
  assert.equal(promDuration(200), "1s");
});

test("built-ins: counts by every common status label at once; latency bucket counts per track", () => {
  const q = builtinQueries();
  const rendered = renderQuery(q.requestsByStatus, vars);
  assert.ok(rendered.ok);
  if (rendered.ok) {
    assert.equal(
      rendered.query,
      'sum by (code, status, status_code, http_status, http_response_status_code) (increase(http_requests_total{namespace="shop",app="checkout",track="canary"}[46s]))',
    );
  }
  assert.deepEqual(q.statusLabels, ["code", "status", "status_code", "http_status", "http_response_status_code"]);
  assert.match(q.latencyBuckets, /^sum by \(le\) \(increase\(http_request_duration_seconds_bucket\{/);
});

test("built-ins: a configured status label is the only one grouped by and looked at", () => {
  const custom = builtinQueries({ app: "app_kubernetes_io_name" }, "response_code");
  assert.match(custom.requestsByStatus, /^sum by \(response_code\) .*app_kubernetes_io_name="\{\{app\}\}"/);
  assert.deepEqual(custom.statusLabels, ["response_code"]);
});
