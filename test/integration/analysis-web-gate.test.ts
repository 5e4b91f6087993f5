// The web and command gates' edges, against a real local HTTP server and real
// processes: retries and deadlines, answers that are not numbers, templates,
// compare at a step where stable has no value, commands that cannot run.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { createCommandGate } from "../../src/analysis/command-gate.ts";
import type { GateContext, GateResult } from "../../src/analysis/types.ts";
import { createWebGate, type WebCheck } from "../../src/analysis/web-gate.ts";
import { systemClock } from "../../src/kube/clock.ts";

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
let handler: Handler = (_req, res) => res.end("{}");
const requests: { url: string; method: string; body: string; headers: IncomingMessage["headers"] }[] = [];
let server: Server;
let base: string;

before(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      requests.push({ url: req.url ?? "", method: req.method ?? "", body, headers: req.headers });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

const ctx = (step = 0): GateContext => ({
  app: "shop",
  namespace: "prod",
  step,
  weight: 25,
  image: "registry.example.com/shop:v2@sha256:abc",
  windowStart: new Date("2026-12-01T12:00:00Z"),
  windowEnd: new Date("2026-12-01T12:01:00Z"),
  canaryPods: [],
  stablePods: [],
});

const json = (value: unknown) => (_req: IncomingMessage, res: ServerResponse) =>
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(value));

function gate(check: Partial<WebCheck>) {
  return createWebGate(
    {
      name: "web",
      url: `${base}/q?track={{track}}`,
      method: "GET",
      headers: {},
      value: "$.v",
      max: 1,
      compare: false,
      timeoutMs: 2_000,
      ...check,
    },
    { clock: systemClock, intervalMs: 60_000, redact: (text) => text.split("sekrit-key").join("***") },
  );
}

const why = (result: GateResult) =>
  result.result === "inconclusive" ? result.why : `not inconclusive: ${JSON.stringify(result)}`;

test("5xx and 429 are asked again, up to three attempts; the third answer counts", async () => {
  let calls = 0;
  handler = (req, res) => {
    calls++;
    if (calls === 1) res.writeHead(503).end("busy");
    else if (calls === 2) res.writeHead(429).end();
    else json({ v: 0.5 })(req, res);
  };
  const result = await gate({}).evaluate(ctx());
  assert.equal(result.result, "passed", JSON.stringify(result));
  assert.equal(calls, 3);
});

test("a 4xx is not asked again, and is inconclusive with the status", async () => {
  requests.length = 0;
  handler = (_req, res) => res.writeHead(403).end('{"errors":["Forbidden"]}');
  const result = await gate({}).evaluate(ctx());
  assert.match(why(result), /^web: canary: HTTP 403 \(\{"errors":\["Forbidden"\]\}\)$/);
  assert.equal(requests.length, 1);
});

test("a server slower than the timeout is inconclusive after three attempts", async () => {
  let calls = 0;
  handler = (_req, res) => {
    calls++;
    setTimeout(() => res.end('{"v":0}'), 1_500).unref();
  };
  const result = await gate({ timeoutMs: 200 }).evaluate(ctx());
  assert.match(why(result), /canary: no answer within 0\.2s/);
  assert.equal(calls, 3);
});

test("an answer that is not JSON, or a value that is not a number, is inconclusive", async () => {
  handler = (_req, res) => res.end("<html>maintenance</html>");
  assert.match(why(await gate({}).evaluate(ctx())), /the answer is not JSON: <html>maintenance/);
  handler = json({ v: "n/a" });
  assert.match(why(await gate({}).evaluate(ctx())), /the value at \$\.v is "n\/a", not a number/);
});

test("an unknown template variable is inconclusive and nothing is sent", async () => {
  requests.length = 0;
  const result = await gate({ url: `${base}/q?track={{trak}}` }).evaluate(ctx());
  assert.match(why(result), /unknown template variable\(s\): trak/);
  assert.equal(requests.length, 0);
});

test("POST: the body mapping is filled and sent as JSON, headers go out and never into the result", async () => {
  requests.length = 0;
  handler = json({ data: { rate: 0.2 } });
  const result = await gate({
    method: "POST",
    url: `${base}/graphql`,
    headers: { "API-Key": "sekrit-key" },
    body: { query: "SELECT x WHERE app = '{{app}}' AND track = '{{track}}' SINCE {{startMs}} UNTIL {{endMs}}" },
    value: "$.data.rate",
  }).evaluate(ctx());
  assert.equal(result.result, "passed");
  const [sent] = requests;
  assert.equal(sent.method, "POST");
  assert.equal(sent.headers["api-key"], "sekrit-key");
  assert.equal(sent.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(sent.body), {
    query: "SELECT x WHERE app = 'shop' AND track = 'canary' SINCE 1796126400000 UNTIL 1796126460000",
  });
  assert.ok(!JSON.stringify(result).includes("sekrit-key"));
  assert.equal(result.source?.kind, "web");
});

test("URL variables are URL-encoded: step, weight, image, window", async () => {
  requests.length = 0;
  handler = json({ v: 0 });
  await gate({
    url: `${base}/q?s={{step}}&w={{weight}}&i={{image}}&f={{start}}&t={{end}}&n={{windowSeconds}}`,
  }).evaluate(ctx(2));
  assert.equal(
    requests[0].url,
    "/q?s=3&w=25&i=registry.example.com%2Fshop%3Av2%40sha256%3Aabc&f=1796126400&t=1796126460&n=60",
  );
});

test("compare: canary − stable is judged; without a stable value the earlier window's stands in", async () => {
  const values: Record<string, unknown> = { canary: 0.03, stable: 0.01 };
  handler = (req, res) => json({ v: values[new URL(req.url ?? "", base).searchParams.get("track") ?? ""] })(req, res);
  const compare = gate({ compare: true, max: 0.01 });
  const first = await compare.evaluate(ctx(0));
  assert.equal(first.result, "failed");
  assert.match(
    first.result === "failed" ? first.reason : "",
    /^web: 0\.02 is above max 0\.01 \(canary 0\.03 − stable 0\.01\)$/,
  );
  assert.deepEqual(first.values, { canaryValue: 0.03, stableValue: 0.01, difference: 0.02, min: null, max: 0.01 });
  values.canary = 0.015;
  values.stable = null; // the 100 % step: stable serves nothing
  const second = await compare.evaluate(ctx(1));
  assert.equal(second.result, "passed", JSON.stringify(second));
  assert.match(second.result === "passed" ? second.summary : "", /\(canary 0\.015 − stable 0\.01 \(earlier window\)\)/);
  const fresh = await gate({ compare: true, max: 0.01 }).evaluate(ctx(0));
  assert.match(why(fresh), /^web: stable: the value at \$\.v is null, not a number$/);
});

test("a command that cannot start fails, naming it; its exit code and duration are recorded", async () => {
  const env = { PATH: process.env.PATH };
  const missing = createCommandGate(
    { name: "smoke", command: ["./no-such-smoke-test.sh"], timeoutMs: 5_000 },
    { env, cwd: "/tmp", redact: (text) => text },
  );
  const result = await missing.evaluate(ctx());
  assert.equal(result.result, "failed");
  assert.match(result.result === "failed" ? result.reason : "", /^smoke: could not run: .*no-such-smoke-test\.sh/);
  const ok = createCommandGate(
    { name: "smoke", command: ["sh", "-c", 'test "$GRAYCTL_STEP/$GRAYCTL_WEIGHT" = 3/25'], timeoutMs: 5_000 },
    { env, cwd: "/tmp", redact: (text) => text },
  );
  const passed = await ok.evaluate(ctx(2));
  assert.equal(passed.result, "passed", JSON.stringify(passed));
  assert.equal(passed.values?.exitCode, 0);
  assert.equal(passed.source?.query, "sh -c 'test \"$GRAYCTL_STEP/$GRAYCTL_WEIGHT\" = 3/25'");
});
