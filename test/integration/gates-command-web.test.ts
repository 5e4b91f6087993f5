// Command and web gates (analysis.checks) inside real rollouts: the built
// grayctl ramps demo-app canaries on the sandbox. The smoke test is a real
// script that calls the canary through the front door, pinned by the secret of
// traffic.pin; the web gate asks a local JSON server standing in for a metrics
// vendor's query API (Datadog cannot exist here), which measures each track's
// error rate through the front door when asked (the canary pinned by the secret,
// stable through a host of the team's that routes to stable alone). Decision records are checked in the
// events, the state and `status --verbose`.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { anIngress } from "../../sandbox/traffic/builders.ts";
import { sendLoad } from "../../sandbox/traffic/load.ts";
import { jsonEvents } from "../helpers/cli.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const TOKEN = "gate-token-5f1c2a9e77";
const PIN_VALUE = "pin-value-8d2e6b1f4a7c9035";
const BASE = `app: shop
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: shop.local
  pin: { header: x-canary, valueFrom: { env: GRAYCTL_PIN_VALUE } }
rollout:
  steps: [50, 100]
  interval: 1s
  readyTimeout: 10s
  progressDeadline: 2m
`;

// A smoke test as a team writes one: a few requests pinned to the canary, any non-200 fails it.
const SMOKE = `
const [frontDoor] = process.argv.slice(2);
const env = process.env;
console.log("smoke: app", env.GRAYCTL_APP, "ns", env.GRAYCTL_NAMESPACE, "step", env.GRAYCTL_STEP, "weight", env.GRAYCTL_WEIGHT);
console.log("smoke: image", env.GRAYCTL_IMAGE, "canary", env.GRAYCTL_CANARY_URL, "stable", env.GRAYCTL_STABLE_URL);
console.log("smoke: token", env.GATE_TOKEN);
const http = await import("node:http");
const get = () => new Promise((resolve, reject) => {
  const url = new URL(frontDoor);
  const req = http.request({ host: url.hostname, port: url.port, path: "/", headers: { host: "shop.local", "x-canary": env.GRAYCTL_PIN_VALUE } }, (res) => {
    res.resume();
    res.on("end", () => resolve(res.statusCode));
  });
  req.on("error", reject);
  req.setTimeout(5000, () => req.destroy(new Error("timeout")));
  req.end();
});
for (let i = 0; i < 10; i++) {
  const status = await get();
  if (status !== 200) {
    console.error("smoke: GET / on the canary answered " + status + " (request " + (i + 1) + ")");
    process.exit(1);
  }
}
console.log("smoke: 10/10 canary requests answered 200");
`;

let app: SandboxApp;
let server: Server;
let metricsUrl: string;
const asked: { track: string | null; app: string | null; step: string | null; metric: string; auth?: string }[] = [];

before(async () => {
  app = await startSandboxApp(BASE);
  // The team's own way to reach stable alone (there is no pin to stable).
  await app.create(R.ingresses, anIngress("shop-stable-direct", { host: "stable.shop.local", service: "shop-stable" }));
  const first = await app.grayctl(["rollout", "--image", demoImage("v1"), "-o", "json"], {
    env: { GRAYCTL_PIN_VALUE: PIN_VALUE },
  });
  assert.equal(first.code, 0, first.stderr + first.stdout);
  await writeFile(join(app.dir, "smoke.mjs"), SMOKE);
  // The vendor stand-in: GET /query?metric=error-rate&track=T measures T's error rate through the front door.
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const track = url.searchParams.get("track");
    const metric = url.searchParams.get("metric") ?? "";
    asked.push({
      track,
      app: url.searchParams.get("app"),
      step: url.searchParams.get("step"),
      metric,
      auth: req.headers.authorization,
    });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401).end("{}");
      return;
    }
    if (metric !== "error-rate") {
      // No such series: an empty answer, as a vendor gives for a query that matches nothing.
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ series: [] }));
      return;
    }
    const seen = await sendLoad({
      url: app.sandbox.frontDoorUrl!,
      ...(track === "canary"
        ? { host: "shop.local", headers: { "x-canary": PIN_VALUE } }
        : { host: "stable.shop.local" }),
      count: 20,
    });
    const errors = Object.entries(seen.statuses).reduce((sum, [code, n]) => sum + (code === "200" ? 0 : n), 0);
    const body = { series: [{ metric: "error-rate", pointlist: [[Date.now(), errors / seen.total]] }] };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  metricsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server?.close();
  await app?.stop();
});

const events = jsonEvents;

/** Whether a process runs: a zombie has stopped (PID 1 here does not reap orphans, so one may linger). */
async function running(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  return status !== "" && !/^State:\s+Z/m.test(status);
}

async function configure(checks: string, extra = "") {
  // On the real cluster every app has a namespace of its own (sandbox-app.ts).
  const base = BASE.replace("namespace: default", `namespace: ${app.namespace}`);
  await writeFile(app.configPath, `${base}analysis:\n${extra}  checks:\n${checks}`);
}

const rollout = (tag: string) =>
  app.grayctl(["rollout", "--image", demoImage(tag), "-o", "json"], {
    timeoutMs: 90_000,
    env: { GATE_TOKEN: TOKEN, GRAYCTL_PIN_VALUE: PIN_VALUE },
  });

const smokeCheck = () =>
  `    - name: smoke\n      command: ["${process.execPath}", "${join(app.dir, "smoke.mjs")}", "${app.sandbox.frontDoorUrl}"]\n      timeout: 20s\n`;

const webCheck = (metric: string) => `    - name: vendor-errors
      url: "${metricsUrl}/query?metric=${metric}&app={{app}}&track={{track}}&step={{step}}&from={{start}}&to={{end}}"
      headers: { Authorization: "Bearer \${GATE_TOKEN}" }
      value: "$.series[0].pointlist[-1:][1]"
      max: 0.1
      compare: true
      timeout: 10s
`;

test("a failing smoke-test command rolls the canary back with its output in the reason, secrets masked", async () => {
  await configure(smokeCheck());
  const result = await rollout("v2-err100");
  assert.equal(result.code, 3, result.stderr + result.stdout);
  const lines = events(result.stdout);
  const outcome = lines.at(-1);
  assert.equal(outcome.outcome, "rolled-back");
  assert.match(outcome.reason, /^smoke: exited 1:/);
  assert.match(outcome.reason, /smoke: GET \/ on the canary answered 500 \(request 1\)/);
  // The step's facts reached the command's environment.
  const ns = app.namespace;
  assert.ok(outcome.reason.includes(`smoke: app shop ns ${ns} step 1 weight 50`), outcome.reason);
  assert.match(
    outcome.reason,
    new RegExp(`canary http://shop-canary\\.${ns}\\.svc:80 stable http://shop-stable\\.${ns}\\.svc:80`),
  );
  assert.ok(outcome.reason.includes(`image ${demoImage("v2-err100")}`), outcome.reason);
  assert.match(outcome.reason, /smoke: token \*\*\*/);
  const gate = lines.find((e) => e.type === "gate" && e.gate === "smoke");
  assert.equal(gate.verdict, "failed");
  assert.equal(gate.source, "command");
  assert.match(gate.query, /smoke\.mjs/);
  assert.equal(gate.details.exitCode, 1);
  assert.equal(gate.step, 1);
  assert.equal(gate.weight, 50);
  assert.equal(app.history().at(-1)?.outcome, "rolled-back");
  assert.match(app.history().at(-1)?.reason ?? "", /answered 500/);
  for (const text of [result.stdout, result.stderr, JSON.stringify(app.state()), JSON.stringify(app.history())])
    assert.ok(!text.includes(TOKEN), "the token never reaches output or the state");
});

test("a passing smoke test lets a good canary through", async () => {
  await configure(smokeCheck());
  const result = await rollout("v2");
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const smoke = events(result.stdout).filter((e) => e.type === "gate" && e.gate === "smoke");
  assert.deepEqual(
    smoke.map((e) => [e.weight, e.verdict]),
    [
      [50, "passed"],
      [100, "passed"],
    ],
  );
});

test("a command past its timeout is inconclusive and stopped with what it started; the step waits, then fails safe", async () => {
  const pidFile = join(app.dir, "sleeper.pid");
  // A shell that starts a child and waits on it: the child holds the output pipe too.
  const script = `sleep 120 & echo $! > ${pidFile}; echo "load test running"; wait`;
  await configure(
    `    - { name: load-test, command: ["sh", "-c", ${JSON.stringify(script)}], timeout: 1s }\n`,
    "  inconclusiveLimit: 1\n",
  );
  const result = await rollout("v2b");
  assert.equal(result.code, 3, result.stderr + result.stdout);
  const gates = events(result.stdout).filter((e) => e.type === "gate" && e.gate === "load-test");
  assert.deepEqual(
    gates.map((e) => e.verdict),
    ["inconclusive", "inconclusive"],
  );
  assert.match(gates[0].why, /^load-test: no verdict within 1s; stopped it:\nload test running$/);
  assert.match(events(result.stdout).at(-1).reason, /load-test: inconclusive for 2 windows in a row/);
  const sleeper = Number((await readFile(pidFile, "utf8")).trim());
  assert.equal(await running(sleeper), false, "the command's child was stopped with it");
});

test("a web gate passes a good canary, comparing it with stable, with the step in its request", async () => {
  await configure(webCheck("error-rate"));
  asked.length = 0;
  const result = await rollout("v3");
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const gates = events(result.stdout).filter((e) => e.type === "gate" && e.gate === "vendor-errors");
  assert.deepEqual(
    gates.map((e) => [e.weight, e.verdict]),
    [
      [50, "passed"],
      [100, "passed"],
    ],
  );
  assert.equal(gates[0].canary.value, 0);
  assert.equal(gates[0].stable.value, 0);
  assert.equal(gates[0].details.difference, 0);
  assert.equal(gates[0].threshold.max, 0.1);
  assert.equal(gates[0].source, "web");
  assert.ok(!gates[0].query.includes(TOKEN));
  assert.deepEqual(
    asked.map((a) => [a.track, a.app, a.step]),
    [
      ["canary", "shop", "1"],
      ["stable", "shop", "1"],
      ["canary", "shop", "2"],
      ["stable", "shop", "2"],
    ],
  );
  assert.ok(
    asked.every((a) => a.auth === `Bearer ${TOKEN}`),
    "the header came from the environment",
  );
});

test("a web gate fails a bad canary with both values in the reason", async () => {
  await configure(webCheck("error-rate"));
  const result = await rollout("v4-err100");
  assert.equal(result.code, 3, result.stderr + result.stdout);
  const outcome = events(result.stdout).at(-1);
  assert.equal(outcome.outcome, "rolled-back");
  assert.match(outcome.reason, /^vendor-errors: 1 is above max 0\.1 \(canary 1 − stable 0\)/);
  const gate = events(result.stdout).find((e) => e.type === "gate" && e.gate === "vendor-errors");
  assert.deepEqual([gate.verdict, gate.canary.value, gate.stable.value, gate.weight], ["failed", 1, 0, 50]);
});

test("a web gate with no value in the answer is inconclusive, waits, then fails safe", async () => {
  await configure(webCheck("no-such-metric"), "  inconclusiveLimit: 1\n");
  const result = await rollout("v5");
  assert.equal(result.code, 3, result.stderr + result.stdout);
  const lines = events(result.stdout);
  const gates = lines.filter((e) => e.type === "gate" && e.gate === "vendor-errors");
  assert.deepEqual(
    gates.map((e) => e.verdict),
    ["inconclusive", "inconclusive"],
  );
  assert.match(gates[0].why, /canary: the answer has no value at \$\.series\[0\]\.pointlist\[-1:\]\[1\]/);
  assert.match(lines.at(-1).reason, /vendor-errors: inconclusive for 2 windows in a row/);
});

test("status --verbose shows the latest release's decision records", async () => {
  const env = { GATE_TOKEN: TOKEN };
  const status = await app.grayctl(["status", "--verbose"], { env });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /decisions \(4, newest last\):/);
  assert.match(status.stdout, /step 1 \(50%\) .* vendor-errors \[web\]: inconclusive/);
  assert.match(
    status.stdout,
    /query: GET http:\/\/127\.0\.0\.1:\d+\/query\?metric=no-such-metric&app=shop&track=canary&step=1/,
  );
  assert.match(status.stdout, /rule: canary − stable within min\/max · threshold min=n\/a, max=0\.1/);
  assert.match(status.stdout, /health \[health\]: passed/);
  const quiet = await app.grayctl(["status"], { env });
  assert.doesNotMatch(quiet.stdout, /decisions/);
  // The status event, not the first line: on the real control plane a warning comes first (its
  // test tokens live 2 h, and a kubeconfig token expiring within a week is warned about, decision 036).
  const lines = (await app.grayctl(["status", "-o", "json"], { env })).stdout.trim().split("\n");
  const json = lines.map((line) => JSON.parse(line)).find((event) => event.decisions !== undefined);
  assert.equal(json.decisions.length, 4);
  assert.ok(!JSON.stringify(app.state()).includes(TOKEN));
});
