// The Prometheus gates' error paths against a real HTTP server that answers
// /api/v1/query with fixed bodies. A stand-in is acceptable ONLY here: a real
// Prometheus cannot be made to time out, answer 500, return `status: error`
// for a valid query, or reveal the request headers it got. The happy paths
// (real numbers, real PromQL) run against a real Prometheus in
// test/real/analysis-prometheus.test.ts.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { createMetricGates } from "../../src/analysis/metric-gates.ts";
import type { MetricsSettings, PrometheusSettings } from "../../src/analysis/settings.ts";
import type { GateContext, GateResult } from "../../src/analysis/types.ts";
import { freePort } from "../../sandbox/traffic/nginx.ts";
import { realClock } from "./analysis-demo-apps.ts";

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
let handler: Handler = () => {};
const seen: { headers: IncomingMessage["headers"]; body: string; url: string }[] = [];
let server: Server;
let url: string;

before(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      seen.push({ headers: req.headers, body, url: req.url ?? "" });
      handler(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};
const vector = (result: unknown[]) => ({ status: "success", data: { resultType: "vector", result } });

const ctx: GateContext = {
  app: "checkout",
  namespace: "shop",
  step: 0,
  weight: 5,
  windowStart: new Date("2026-01-01T00:00:00Z"),
  windowEnd: new Date("2026-01-01T00:01:00Z"),
  canaryPods: [{ name: "checkout-canary-1", namespace: "shop", track: "canary", port: 8080 }],
  stablePods: [{ name: "checkout-1", namespace: "shop", track: "stable", port: 8080 }],
};

async function evaluate(prometheus: Partial<PrometheusSettings>, name = "error-rate"): Promise<GateResult> {
  const settings: MetricsSettings = {
    provider: "prometheus",
    prometheus: { url, timeoutMs: 300, deadlineMs: 1200, ...prometheus },
    minRequests: 50,
    intervalMs: 60_000,
    checks: [{ name, max: 0.01, query: name === "custom" ? 'up{app="{{app}}"}' : undefined }],
  };
  const [gate] = createMetricGates(settings, {
    clock: realClock,
    scrapePod: async () => {
      throw new Error("not used by the prometheus provider");
    },
  });
  seen.length = 0;
  return gate.evaluate(ctx);
}

const why = (result: GateResult) =>
  result.result === "inconclusive" ? result.why : `not inconclusive: ${JSON.stringify(result)}`;

test("a timeout is inconclusive and says so, after retrying within the deadline", async () => {
  handler = () => {}; // never answers
  const result = await evaluate({});
  assert.equal(result.result, "inconclusive");
  assert.match(why(result), /no answer within \d+ ms after [2-9] attempts/);
});

test("HTTP 500 is retried, then inconclusive with the status", async () => {
  handler = (_req, _body, res) => json(res, 500, { status: "error", errorType: "internal", error: "boom" });
  const result = await evaluate({});
  assert.match(why(result), /HTTP 500 \(internal: boom\) after [2-9] attempts/);
  assert.ok(seen.length >= 4, `retried: ${seen.length} requests for 2 queries`);
});

test("status: error with 400 is not retried and is inconclusive with Prometheus' message", async () => {
  handler = (_req, _body, res) =>
    json(res, 400, { status: "error", errorType: "bad_data", error: "parse error at char 5" });
  const result = await evaluate({});
  assert.match(why(result), /query rejected: HTTP 400 \(bad_data: parse error at char 5\)/);
  assert.equal(seen.length, 2, "one request per track, no retries");
});

test("empty vectors are inconclusive, never a pass", async () => {
  handler = (_req, _body, res) => json(res, 200, vector([]));
  assert.match(why(await evaluate({})), /no canary data/);
  // latency-p99 reads bucket counts since the anytime-valid rule (issue 21): the histogram is what is missing.
  assert.match(why(await evaluate({}, "latency-p99")), /no canary latency histogram/);
  assert.match(why(await evaluate({}, "custom")), /no value/);
});

test("NaN values are inconclusive", async () => {
  handler = (_req, _body, res) => json(res, 200, vector([{ metric: { code: "200" }, value: [1, "NaN"] }]));
  assert.match(why(await evaluate({})), /missing or NaN/);
});

test("series without a status label are inconclusive (they would hide every error)", async () => {
  handler = (_req, _body, res) => json(res, 200, vector([{ metric: {}, value: [1, "900"] }]));
  assert.match(why(await evaluate({})), /900 requests in http_requests_total series without any of the status labels/);
});

test("POST form carries the rendered query and the window's end time", async () => {
  handler = (_req, _body, res) => json(res, 200, vector([{ metric: { code: "200" }, value: [1, "1000"] }]));
  const result = await evaluate({});
  assert.equal(result.result, "passed", JSON.stringify(result));
  const form = new URLSearchParams(seen[0].body);
  assert.equal(form.get("time"), "1767225660.000");
  assert.match(
    form.get("query") ?? "",
    /increase\(http_requests_total\{namespace="shop",app="checkout",track="(canary|stable)"\}\[60s\]\)/,
  );
});

test("GET puts the query in the URL", async () => {
  handler = (_req, _body, res) => json(res, 200, vector([{ metric: { code: "200" }, value: [1, "1000"] }]));
  await evaluate({ method: "GET" });
  assert.match(seen[0].url, /^\/api\/v1\/query\?query=sum/);
});

test("bearer token is sent, and never appears in a result even when the server echoes it", async () => {
  handler = (req, _body, res) =>
    json(res, 401, { status: "error", errorType: "auth", error: `bad ${req.headers.authorization}` });
  const result = await evaluate({ bearerToken: "s3cr3t-token" });
  assert.equal(seen[0].headers.authorization, "Bearer s3cr3t-token");
  assert.match(why(result), /HTTP 401.*check the credentials/);
  assert.doesNotMatch(JSON.stringify(result), /s3cr3t-token/);
});

test("basic auth (also from credentials in the URL) is sent and redacted", async () => {
  handler = (req, _body, res) =>
    json(res, 503, { status: "error", errorType: "unavailable", error: `${req.headers.authorization}` });
  const encoded = Buffer.from("grayctl:hunter2-pw").toString("base64");
  const result = await evaluate({ username: "grayctl", password: "hunter2-pw" });
  assert.equal(seen[0].headers.authorization, `Basic ${encoded}`);
  assert.doesNotMatch(JSON.stringify(result), /hunter2-pw|aHVudGVy|Z3JheWN0bDpodW50ZXIy/);
  const inUrl = await evaluate({ url: url.replace("http://", "http://grayctl:hunter2-pw@") });
  assert.equal(seen[0].headers.authorization, `Basic ${encoded}`);
  assert.doesNotMatch(JSON.stringify(inUrl), /hunter2-pw|Z3JheWN0bDpodW50ZXIy/);
});

test("an unreachable Prometheus is inconclusive and says it is unreachable", async () => {
  const closedPort = await freePort();
  const result = await evaluate({ url: `http://127.0.0.1:${closedPort}` });
  assert.match(
    why(result),
    new RegExp(`Prometheus at http://127\\.0\\.0\\.1:${closedPort} is unreachable \\(ECONNREFUSED\\)`),
  );
});
