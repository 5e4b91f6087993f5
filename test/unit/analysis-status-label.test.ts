// Which label holds a request's HTTP status (issue 21): the configured one, or
// the first of the common names; a series with none is inconclusive, never a
// pass. The pods provider is driven end to end over fixed /metrics pages (the
// HTTP path is covered by test/integration/rollout-status-label.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { createMetricGates } from "../../src/analysis/metric-gates.ts";
import { decisionRecord } from "../../src/analysis/record.ts";
import type { MetricsSettings } from "../../src/analysis/settings.ts";
import {
  emptyTally,
  STATUS_LABELS,
  statusCandidates,
  statusOf,
  tallyRequests,
} from "../../src/analysis/status-label.ts";
import type { GateContext, GateResult, PodRef } from "../../src/analysis/types.ts";
import { renderStatus } from "../../src/operate/render.ts";
import { buildStatus } from "../../src/operate/status.ts";

test("the common names, in order: code, status, status_code, http_status, http_response_status_code", () => {
  assert.deepEqual(STATUS_LABELS, ["code", "status", "status_code", "http_status", "http_response_status_code"]);
  assert.deepEqual(statusCandidates(), STATUS_LABELS);
  assert.deepEqual(statusCandidates("response_code"), ["response_code"], "a configured label is the only one");
});

const recognised: [string, Record<string, string>, string | undefined, string | undefined][] = [
  ["Prometheus client libraries", { code: "500" }, undefined, "code"],
  ["podinfo", { method: "GET", path: "/", status: "503" }, undefined, "status"],
  ["status_code", { status_code: "200" }, undefined, "status_code"],
  ["http_status", { http_status: "404" }, undefined, "http_status"],
  ["OpenTelemetry", { http_response_status_code: "502" }, undefined, "http_response_status_code"],
  ["a status class", { status: "5xx" }, undefined, "status"],
  ["both: the earlier name wins", { code: "200", status: "500" }, undefined, "code"],
  ["a gRPC code is no HTTP status: the next name", { code: "OK", http_status: "500" }, undefined, "http_status"],
  ["no status label", { method: "GET", path: "/" }, undefined, undefined],
  ["a label whose values are words", { status: "error" }, undefined, undefined],
  ["an empty value", { code: "" }, undefined, undefined],
  ["configured", { response_code: "500", code: "200" }, "response_code", "response_code"],
  ["configured: the common names are not looked at", { code: "500" }, "response_code", undefined],
];

for (const [what, labels, configured, expected] of recognised) {
  test(`recognised: ${what} → ${expected ?? "none"}`, () => {
    assert.equal(statusOf(labels, statusCandidates(configured))?.label, expected);
  });
}

test("tallying: 5xx by whichever label each series carries; unlabelled requests counted apart, idle series ignored", () => {
  const tally = tallyRequests(
    emptyTally(),
    [
      { labels: { status: "200" }, value: 1000 },
      { labels: { status: "503" }, value: 40 },
      { labels: { code: "500" }, value: 2 },
      { labels: { status: "5xx" }, value: 3 },
      { labels: { status: "404" }, value: 5 },
      { labels: { outcome: "error" }, value: 0 },
    ],
    STATUS_LABELS,
  );
  assert.deepEqual(
    { ...tally },
    { requests: 1050, errors: 45, labels: ["code", "status"], unlabelled: 0 },
    "1000 + 40 + 2 + 3 + 5 requests; 40 + 2 + 3 errors",
  );
  tallyRequests(tally, [{ labels: { outcome: "error" }, value: 7 }], STATUS_LABELS);
  assert.equal(tally.unlabelled, 7);
  assert.deepEqual(tally.example, { outcome: "error" });
});

const pod = (name: string, track: "canary" | "stable"): PodRef => ({ name, namespace: "shop", track, port: 8080 });
const ctx: GateContext = {
  app: "checkout",
  namespace: "shop",
  step: 0,
  weight: 20,
  windowStart: new Date(0),
  windowEnd: new Date(60_000),
  canaryPods: [pod("c1", "canary")],
  stablePods: [pod("s1", "stable")],
};

/** A /metrics page counting requests by `label`; `label` undefined → by a label that is no status. */
function page(label: string | undefined, ok: number, errors: number): string {
  const by = (value: string) => (label ? `${label}="${value}"` : `outcome="${value === "200" ? "ok" : "error"}"`);
  return [
    "# TYPE http_requests_total counter",
    `http_requests_total{method="GET",path="/",${by("200")}} ${ok}`,
    `http_requests_total{method="GET",path="/",${by("500")}} ${errors}`,
  ].join("\n");
}

/**
 * The pods provider's error-rate over one window whose pages are given per
 * pod, before and after. scrapePod is a plain function over fixed pages: the
 * point is which label is read, not HTTP.
 */
async function errorRate(
  pages: { start: Record<string, string>; end: Record<string, string> },
  statusLabel?: string,
): Promise<GateResult> {
  const settings: MetricsSettings = {
    provider: "pods",
    minRequests: 50,
    intervalMs: 60_000,
    checks: [{ name: "error-rate", max: 0.01 }],
    statusLabel,
  };
  let current = pages.start;
  const clock = { now: () => 0, sleep: async () => {} };
  const [gate] = createMetricGates(settings, { clock, scrapePod: async (p) => current[p.name] });
  await gate.begin?.(ctx);
  current = pages.end;
  return gate.evaluate(ctx);
}

test("pods: a podinfo canary (requests by `status`) answering 540 5xx of 2098 fails error-rate, saying which label", async () => {
  const result = await errorRate({
    start: { c1: page("status", 0, 0), s1: page("status", 0, 0) },
    end: { c1: page("status", 1558, 540), s1: page("status", 20000, 0) },
  });
  assert.equal(result.result, "failed", JSON.stringify(result));
  if (result.result === "failed") {
    assert.match(result.reason, /^error-rate: canary \d+(\.\d+)?% \(540\/2098\) vs stable 0(\.0)?% \(0\/20000\)/);
    assert.match(result.reason, /\(5xx by status label "status"\)$/);
  }
  assert.equal(result.source?.statusLabel, "status");
  const record = decisionRecord(result, ctx);
  assert.equal(record.statusLabel, "status", "the decision record says which label it used");
  assert.deepEqual([record.canary.requests, record.canary.errors], [2098, 540]);
  const text = renderStatus(
    buildStatus({
      app: "checkout",
      namespace: "shop",
      steps: [{ weight: 20 }],
      planRecorded: true,
      state: {
        phase: "rolled-back",
        revision: 2,
        image: "img:v2",
        stepIndex: 0,
        weight: 0,
        targetWeight: 0,
        owner: "ci@host/1/abc",
        startedAt: "1970-01-01T00:00:00Z",
        updatedAt: "1970-01-01T00:01:00Z",
        actor: "ci",
        gates: [],
        inconclusive: {},
        activeMs: 0,
        decisions: [record],
      },
      currentRevision: 1,
      now: 120_000,
    }),
    { verbose: true },
  );
  assert.match(text, /\n {6}5xx by status label: status\n/, text);
});

test("pods: a configured label is read, and the common names are then ignored", async () => {
  const pages = {
    start: { c1: page("response_code", 0, 0), s1: page("response_code", 0, 0) },
    end: { c1: page("response_code", 900, 100), s1: page("response_code", 5000, 0) },
  };
  const configured = await errorRate(pages, "response_code");
  assert.equal(configured.result, "failed", JSON.stringify(configured));
  assert.equal(configured.source?.statusLabel, "response_code");
  const wrong = await errorRate({ ...pages, end: { c1: page("code", 900, 100), s1: page("code", 5000, 0) } }, "rc");
  assert.equal(wrong.result, "inconclusive", JSON.stringify(wrong));
  if (wrong.result === "inconclusive")
    assert.match(wrong.why, /the configured status label "rc" \(analysis\.metrics\.statusLabel\)/);
});

test("pods: requests without a recognisable status label are inconclusive, never a pass — and the reason says what to do", async () => {
  const result = await errorRate({
    start: { c1: page(undefined, 0, 0), s1: page(undefined, 0, 0) },
    end: { c1: page(undefined, 1558, 540), s1: page(undefined, 20000, 0) },
  });
  assert.equal(result.result, "inconclusive", JSON.stringify(result));
  if (result.result !== "inconclusive") return;
  assert.match(result.why, /^error-rate: canary: 2098 requests in http_requests_total series without any of/);
  for (const name of STATUS_LABELS) assert.ok(result.why.includes(`"${name}"`), `${name} named: ${result.why}`);
  assert.match(result.why, /e\.g\. http_requests_total\{method="GET",path="\/",outcome="ok"\}/);
  assert.match(result.why, /set analysis\.metrics\.statusLabel to the label that holds the HTTP status code/);
  assert.equal(result.source?.statusLabel, undefined);
});

test("pods: one unlabelled series among labelled ones is still inconclusive (its requests could be the errors)", async () => {
  const mixed = (ok: number, errors: number, other: number) =>
    `${page("code", ok, errors)}\nhttp_requests_total{path="/upload"} ${other}`;
  const result = await errorRate({
    start: { c1: mixed(0, 0, 0), s1: mixed(0, 0, 0) },
    end: { c1: mixed(1000, 0, 0), s1: mixed(5000, 0, 300) },
  });
  assert.equal(result.result, "inconclusive", JSON.stringify(result));
  if (result.result === "inconclusive") assert.match(result.why, /^error-rate: stable: 300 requests/);
});
