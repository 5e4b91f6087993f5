// HTTPS_PROXY / HTTP_PROXY / NO_PROXY as kubectl honours them (issue 23,
// kubeconfig): the API server, a web gate and Prometheus reached through a real
// forward proxy (test/helpers/forward-proxy.ts), which counts what went through
// it. The hosts behind it have made-up names (*.grayctl.test) that only the proxy
// resolves, as a corporate proxy resolves internal names: a request that
// bypasses it cannot reach them, and loopback addresses are never proxied (Go's
// rule, which kubectl follows).
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { stringify } from "yaml";
import { createPrometheusClient } from "../../src/analysis/prometheus.ts";
import { proxiedFetch } from "../../src/run/proxied-fetch.ts";
import { type Sandbox, startSandbox } from "../../sandbox/index.ts";
import { runCli } from "../helpers/cli.ts";
import { type ForwardProxy, startForwardProxy } from "../helpers/forward-proxy.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";
import { startTlsFront, type TlsFront } from "../helpers/tls-front.ts";

let sandbox: Sandbox;
let front: TlsFront;
let proxy: ForwardProxy;
let answers: Server;
let answersPort: number;
let dir: string;
const answered: string[] = [];

before(async () => {
  sandbox = await startSandbox({ workloads: false, traffic: false });
  front = await startTlsFront(sandbox.url);
  // A stand-in for a vendor's query API and for Prometheus' /api/v1/query, on loopback.
  answers = createServer((req, res) => {
    answered.push(`${req.method} ${req.url}`);
    const body = req.url?.startsWith("/api/v1/query")
      ? { status: "success", data: { resultType: "vector", result: [{ metric: {}, value: [0, "0.25"] }] } }
      : { value: 0 };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => answers.listen(0, "127.0.0.1", resolve));
  answersPort = (answers.address() as AddressInfo).port;
  proxy = await startForwardProxy({
    "kube.grayctl.test": "127.0.0.1",
    "gates.grayctl.test": "127.0.0.1",
    "prom.grayctl.test": "127.0.0.1",
    "hooks.grayctl.test": "127.0.0.1",
  });
  dir = await mkdtemp(join(tmpdir(), "grayctl-proxy-"));
  await writeFile(join(dir, "grayctl.yaml"), "app: shop\nnamespace: default\n");
});
after(async () => {
  await proxy?.stop();
  answers?.close();
  await front?.stop();
  await sandbox?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A kubeconfig for the sandbox behind its TLS front, at `server` (its certificate is for localhost). */
async function kubeconfig(name: string, server: string): Promise<string> {
  const path = join(dir, name);
  const cluster = {
    server,
    "certificate-authority-data": Buffer.from(front.certificate.certPem).toString("base64"),
    "tls-server-name": "localhost",
  };
  await writeFile(
    path,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster }],
      users: [{ name: "u", user: { token: sandbox.token } }],
      contexts: [{ name: "x", context: { cluster: "c", user: "u", namespace: "default" } }],
      "current-context": "x",
    }),
    { mode: 0o600 },
  );
  return path;
}

const status = (file: string, env: Record<string, string>) =>
  runCli(["--kubeconfig", file, "--config", join(dir, "grayctl.yaml"), "status"], {
    cwd: dir,
    timeoutMs: 30_000,
    env: { HTTPS_PROXY: undefined, HTTP_PROXY: undefined, NO_PROXY: undefined, ...env },
  });

test("the API server through HTTPS_PROXY: every request tunnels through the proxy; NO_PROXY and loopback go direct", async () => {
  const named = await kubeconfig("named.yaml", `https://kube.grayctl.test:${front.port}`);
  const before = proxy.seen.length;
  const through = await status(named, { HTTPS_PROXY: proxy.url });
  assert.equal(through.code, 0, through.stderr);
  const tunnels = proxy.seen.slice(before);
  assert.ok(tunnels.length > 0, "no request went through the proxy");
  assert.deepEqual(new Set(tunnels), new Set([`CONNECT kube.grayctl.test:${front.port}`]));

  // NO_PROXY names the host (or its domain): grayctl goes direct, and cannot resolve the name the proxy knew.
  for (const noProxy of ["kube.grayctl.test", ".grayctl.test", "localhost,grayctl.test"]) {
    const mark = proxy.seen.length;
    const direct = await status(named, { HTTPS_PROXY: proxy.url, NO_PROXY: noProxy });
    assert.equal(direct.code, 2, direct.stderr);
    assert.match(direct.stderr, /cannot resolve host kube\.grayctl\.test/);
    assert.equal(proxy.seen.length, mark, `NO_PROXY=${noProxy}: the proxy was used`);
  }

  // A loopback server is never proxied (kubectl does the same), so a local cluster works with a proxy set.
  const local = await kubeconfig("local.yaml", front.url);
  const mark = proxy.seen.length;
  const loopback = await status(local, { HTTPS_PROXY: proxy.url });
  assert.equal(loopback.code, 0, loopback.stderr);
  assert.equal(proxy.seen.length, mark);
});

test("Prometheus through HTTP_PROXY, and straight to it when NO_PROXY names it", async () => {
  const settings = { url: `http://prom.grayctl.test:${answersPort}`, timeoutMs: 3_000, deadlineMs: 3_000 };
  const clock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
  const mark = proxy.seen.length;
  const client = createPrometheusClient(settings, { clock, fetch: proxiedFetch({ HTTP_PROXY: proxy.url }) });
  const result = await client.query("sum(rate(http_requests_total[1m]))", new Date());
  assert.deepEqual(result, { ok: true, samples: [{ labels: {}, value: 0.25 }] });
  assert.ok(
    proxy.seen.slice(mark).some((line) => line.includes(`prom.grayctl.test:${answersPort}`)),
    `the query did not go through the proxy: ${proxy.seen.slice(mark).join(", ")}`,
  );
  const direct = createPrometheusClient(settings, {
    clock,
    fetch: proxiedFetch({ HTTP_PROXY: proxy.url, NO_PROXY: "prom.grayctl.test" }),
  });
  const mark2 = proxy.seen.length;
  const refused = await direct.query("up", new Date());
  assert.equal(refused.ok, false);
  assert.match((refused as { why: string }).why, /ENOTFOUND/);
  assert.equal(proxy.seen.length, mark2);
});

test("a real rollout's web gate, Prometheus, hook and notification go through HTTP_PROXY (the sandbox API, on loopback, goes direct)", async () => {
  const config = `app: gated
namespace: default
deployment:
  replicas: 1
traffic:
  router: replicas
rollout:
  steps: [50, 100]
  interval: 1s
  readyTimeout: 20s
  progressDeadline: 2m
analysis:
  metrics:
    provider: prometheus
    prometheus: { url: "http://prom.grayctl.test:${answersPort}" }
    checks:
      - name: saturation
        query: "max(saturation_ratio)"
        max: 1
  checks:
    - name: vendor-errors
      url: "http://gates.grayctl.test:${answersPort}/query?track={{track}}"
      value: "$.value"
      max: 0.1
      timeout: 5s
hooks:
  preRollout:
    - name: announce
      url: "http://hooks.grayctl.test:${answersPort}/hook"
notify:
  - url: "http://hooks.grayctl.test:${answersPort}/notify"
`;
  let app: SandboxApp | undefined;
  try {
    app = await startSandboxApp(config);
    const env = { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url };
    const first = await app.grayctl(["rollout", "--image", demoImage("v1")], { env, timeoutMs: 90_000 });
    assert.equal(first.code, 0, first.stderr);
    const mark = proxy.seen.length;
    const second = await app.grayctl(["rollout", "--image", demoImage("v2")], { env, timeoutMs: 90_000 });
    assert.equal(second.code, 0, second.stderr + second.stdout);
    const through = proxy.seen.slice(mark);
    for (const host of ["gates.grayctl.test", "prom.grayctl.test", "hooks.grayctl.test"])
      assert.ok(
        through.some((line) => line.includes(`${host}:${answersPort}`)),
        `no request to ${host} went through the proxy: ${through.join(", ")}`,
      );
    assert.ok(!through.some((line) => line.includes("127.0.0.1")), "a loopback request went through the proxy");
    for (const path of ["/hook", "/notify"])
      assert.ok(
        through.some((line) => line.includes(`hooks.grayctl.test:${answersPort}${path}`)),
        `${path}: ${through.join(", ")}`,
      );
  } finally {
    await app?.stop();
  }
});
