// The demo app as a real process on a real port: what the pods of the sandbox run.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { freePort } from "../../sandbox/runtime/ports.ts";

const SERVER = fileURLToPath(new URL("../../sandbox/demo-app/server.ts", import.meta.url));
const started: ChildProcess[] = [];

after(() => {
  for (const child of started) if (child.exitCode === null) child.kill("SIGKILL");
});

async function startApp(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [SERVER], { env: { ...env, PORT: String(port) }, stdio: "ignore" });
  started.push(child);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    try {
      await fetch(`${url}/healthz`);
      return { url, child };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  throw new Error(`demo app did not listen on ${port} within 5 s`);
}

function metric(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  assert.ok(line, `series ${series} missing from:\n${text}`);
  return Number(line.split(" ")[1]);
}

test("GET / answers the version, /metrics counts it", async () => {
  const { url } = await startApp({ IMAGE: "sandbox.local/demo-app:v2" });
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-version"), "v2");
  assert.equal(await res.text(), "v2\n");
  for (let i = 0; i < 4; i++) await (await fetch(url)).text();
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.equal(metric(metrics, 'http_requests_total{code="200"}'), 5);
  assert.equal(metric(metrics, 'http_requests_total{code="500"}'), 0);
  assert.equal(metric(metrics, "http_request_duration_seconds_count"), 5);
  assert.equal(metric(metrics, 'http_request_duration_seconds_bucket{le="+Inf"}'), 5);
  assert.equal(metric(metrics, 'http_request_duration_seconds_bucket{le="10"}'), 5);
  assert.ok(metric(metrics, 'http_request_duration_seconds_bucket{le="0.005"}') <= 5);
  assert.ok(metric(metrics, "http_request_duration_seconds_sum") > 0);
});

test("err20 answers about 20 % of 500 requests with 500", async () => {
  const { url } = await startApp({ IMAGE: "sandbox.local/demo-app:v3-err20" });
  let errors = 0;
  for (let i = 0; i < 500; i++) {
    const res = await fetch(url);
    await res.text();
    if (res.status === 500) errors++;
  }
  // Binomial(500, 0.2): sd ≈ 8.9; ±45 is 5 sd, so a false failure is practically impossible.
  assert.ok(errors > 55 && errors < 145, `${errors} errors of 500`);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.equal(metric(metrics, 'http_requests_total{code="500"}'), errors);
  assert.equal(metric(metrics, 'http_requests_total{code="200"}'), 500 - errors);
});

test("label.status counts requests by `status`, as podinfo does", async () => {
  const { url } = await startApp({ IMAGE: "sandbox.local/demo-app:v2-label.status" });
  await (await fetch(url)).text();
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.equal(metric(metrics, 'http_requests_total{status="200"}'), 1);
  assert.equal(metric(metrics, 'http_requests_total{status="500"}'), 0);
  assert.doesNotMatch(metrics, /code=/);
});

test("slow800 adds latency, and LATENCY_MS overrides it", async () => {
  const { url } = await startApp({ IMAGE: "sandbox.local/demo-app:v3-slow300" });
  let begin = performance.now();
  await (await fetch(url)).text();
  assert.ok(performance.now() - begin >= 295, "tag latency applied");
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.equal(metric(metrics, 'http_request_duration_seconds_bucket{le="0.25"}'), 0);
  assert.equal(metric(metrics, 'http_request_duration_seconds_bucket{le="0.5"}'), 1);
  const overridden = await startApp({ IMAGE: "sandbox.local/demo-app:v3-slow800", LATENCY_MS: "0" });
  begin = performance.now();
  await (await fetch(overridden.url)).text();
  assert.ok(performance.now() - begin < 500, "env override removed the latency");
});

test("unhealthy fails /healthz but still serves /", async () => {
  const { url } = await startApp({ IMAGE: "sandbox.local/demo-app:v3-unhealthy" });
  assert.equal((await fetch(`${url}/healthz`)).status, 500);
  assert.equal((await fetch(url)).status, 200);
  const healthy = await startApp({ IMAGE: "sandbox.local/demo-app:v3-unhealthy", HEALTHZ_FAIL: "0" });
  assert.equal((await fetch(`${healthy.url}/healthz`)).status, 200);
});

test("crash1 exits non-zero after about a second", async () => {
  const { child } = await startApp({ IMAGE: "sandbox.local/demo-app:v1-crash1" });
  const begin = Date.now();
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), 5000);
    child.once("exit", (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  assert.equal(code, 1);
  assert.ok(Date.now() - begin < 1500);
});
