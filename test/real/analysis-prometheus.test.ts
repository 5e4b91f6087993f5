// The Prometheus gates against a real Prometheus (Debian's 2.42) scraping real
// demo-app processes through file_sd targets labelled namespace/app/track/pod,
// exactly as the sandbox labels its pods. A missing Prometheus fails the test
// with the install script's name (scripts/real-parts.sh); it is never skipped.
// Two pairs count requests by other labels than `code` (issue 21): podinfo's
// `status`, found without configuration, and `response_code`, which no common
// name matches — inconclusive until analysis.metrics.statusLabel names it.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";
import { createMetricGates } from "../../src/analysis/metric-gates.ts";
import type { MetricsSettings } from "../../src/analysis/settings.ts";
import type { GateContext, GateResult } from "../../src/analysis/types.ts";
import { type RunningPrometheus, startPrometheus } from "../../sandbox/traffic/prometheus.ts";
import { type DemoApp, load, realClock, scrapeDirect, startDemoApp } from "../integration/analysis-demo-apps.ts";

const scenarios = {
  good: { ERROR_RATE: "0" },
  errors: { ERROR_RATE: "0.2" },
  slow: { ERROR_RATE: "0", LATENCY_MS: "800" },
  podinfo: { ERROR_RATE: "0.2", STATUS_LABEL: "status" },
  unlabelled: { ERROR_RATE: "0.2", STATUS_LABEL: "response_code" },
} as const;
type Scenario = keyof typeof scenarios;
/** Stable counts by the same label as its canary. */
const stableEnv = (scenario: Scenario) => {
  const { STATUS_LABEL } = scenarios[scenario] as { STATUS_LABEL?: string };
  return STATUS_LABEL ? { ERROR_RATE: "0", STATUS_LABEL } : { ERROR_RATE: "0" };
};

const apps: { stable: DemoApp; canary: DemoApp; scenario: Scenario }[] = [];
let prometheus: RunningPrometheus | undefined;
let dir: string;
const results = new Map<Scenario, Record<string, GateResult>>();
/** The `response_code` pair judged with analysis.metrics.statusLabel: response_code. */
let configuredResult: GateResult;

function settings(url: string, statusLabel?: string): MetricsSettings {
  return {
    provider: "prometheus",
    statusLabel,
    prometheus: { url, timeoutMs: 2000, deadlineMs: 4000 },
    minRequests: 50,
    intervalMs: 60_000,
    checks: [
      { name: "error-rate", max: 0.01 },
      { name: "latency-p99", max: 0.5 },
      { name: "canary-targets-up", query: 'sum(up{namespace="{{namespace}}",app="{{app}}",pod=~"{{pods}}"})', min: 1 },
    ],
  };
}

function context(scenario: Scenario, windowStart: Date, windowEnd: Date): GateContext {
  const pair = apps.find((app) => app.scenario === scenario)!;
  return {
    app: `checkout-${scenario}`,
    namespace: "shop",
    step: 0,
    weight: 20,
    windowStart,
    windowEnd,
    canaryPods: [pair.canary.pod],
    stablePods: [pair.stable.pod],
  };
}

async function evaluateAll(url: string, ctx: GateContext, statusLabel?: string): Promise<Record<string, GateResult>> {
  const gates = createMetricGates(settings(url, statusLabel), { clock: realClock, scrapePod: scrapeDirect });
  const evaluated = await Promise.all(gates.map((gate) => gate.evaluate(ctx)));
  return Object.fromEntries(evaluated.map((result) => [result.gate, result]));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "grayctl-analysis-prom-"));
  for (const scenario of Object.keys(scenarios) as Scenario[]) {
    const [stable, canary] = await Promise.all([
      startDemoApp(`checkout-${scenario}-stable-1`, "stable", stableEnv(scenario)),
      startDemoApp(`checkout-${scenario}-canary-1`, "canary", scenarios[scenario]),
    ]);
    apps.push({ stable, canary, scenario });
  }
  const groups = apps.flatMap(({ stable, canary, scenario }) =>
    [stable, canary].map((app) => ({
      targets: [`127.0.0.1:${app.pod.port}`],
      labels: { namespace: "shop", app: `checkout-${scenario}`, track: app.pod.track, pod: app.pod.name },
    })),
  );
  const targetsFile = join(dir, "targets.json");
  await writeFile(targetsFile, JSON.stringify(groups));
  prometheus = await startPrometheus({ targetsFile, scrapeIntervalSeconds: 1 });
  // Every target up and scraped at least twice before the window opens, so increase() has a start.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const up = await prometheus.query('sum(up{namespace="shop"})');
    if (Number(up[0]?.value[1] ?? 0) === groups.length) break;
    if (Date.now() > deadline) throw new Error(`targets not up within 30 s: ${JSON.stringify(up)}`);
    await sleep(500);
  }
  await sleep(2500);

  const windowStart = new Date();
  // Traffic spread over the window, as real traffic is: increase() over the
  // window sees the change between the scrapes inside it, so a burst before
  // the window's first scrape would be invisible (to Prometheus as to any gate).
  for (let batch = 0; batch < 5; batch++) {
    await Promise.all(
      apps.flatMap(({ stable, canary, scenario }) => [
        load(stable.pod, 120, 10),
        load(canary.pod, scenario === "slow" ? 20 : 30, scenario === "slow" ? 20 : 10),
      ]),
    );
    await sleep(1000);
  }
  await sleep(3500); // three scrapes after the last request
  const windowEnd = new Date();
  for (const scenario of Object.keys(scenarios) as Scenario[]) {
    results.set(scenario, await evaluateAll(prometheus.url, context(scenario, windowStart, windowEnd)));
  }
  const configured = await evaluateAll(prometheus.url, context("unlabelled", windowStart, windowEnd), "response_code");
  configuredResult = configured["error-rate"];
});

after(async () => {
  await prometheus?.stop();
  await Promise.all(apps.flatMap(({ stable, canary }) => [stable.stop(), canary.stop()]));
  if (dir) await rm(dir, { recursive: true, force: true });
});

const line = (result: GateResult) =>
  result.result === "passed" ? result.summary : result.result === "failed" ? result.reason : result.why;

test("a good canary passes error-rate, latency-p99 and a custom query", (t) => {
  for (const [scenario, byGate] of results) {
    for (const result of Object.values(byGate)) t.diagnostic(`${scenario}: ${result.result}: ${line(result)}`);
  }
  const good = results.get("good")!;
  for (const gate of ["error-rate", "latency-p99", "canary-targets-up"]) {
    assert.equal(good[gate].result, "passed", JSON.stringify(good[gate]));
  }
  // increase() extrapolates, but to within a few requests of what was sent.
  const canaryRequests = good["error-rate"].values?.canaryRequests as number;
  assert.ok(canaryRequests >= 120 && canaryRequests <= 200, `canary requests ${canaryRequests}`);
});

test("ERROR_RATE=0.2 fails error-rate with counts in the reason", () => {
  const result = results.get("errors")!["error-rate"];
  assert.equal(result.result, "failed", JSON.stringify(result));
  if (result.result === "failed")
    assert.match(
      result.reason,
      /^error-rate: canary \d+(\.\d)?% \(\d+\/\d+\) vs stable 0% \(0\/\d+\) over the rollout so far; e-value \S+ ≥ 200: /,
    );
});

test("requests counted by `status` (podinfo): found without configuration, 20 % errors fail error-rate, the label named", () => {
  const result = results.get("podinfo")!["error-rate"];
  assert.equal(result.result, "failed", JSON.stringify(result));
  if (result.result === "failed") {
    assert.match(
      result.reason,
      /^error-rate: canary \d+(\.\d)?% \(\d+\/\d+\) vs stable 0% \(0\/\d+\) over the rollout so far; e-value \S+ ≥ 200: /,
    );
    assert.match(result.reason, /\(5xx by status label "status"\)$/);
  }
  assert.equal(result.source?.statusLabel, "status");
  assert.match(
    result.source?.query ?? "",
    /^sum by \(code, status, status_code, http_status, http_response_status_code\) /,
  );
});

test("requests counted by an unknown label are inconclusive, never a pass; configured, the same counts fail", () => {
  const result = results.get("unlabelled")!["error-rate"];
  assert.equal(result.result, "inconclusive", JSON.stringify(result));
  if (result.result === "inconclusive") {
    assert.match(
      result.why,
      /^error-rate: canary: \d+ requests in http_requests_total series without any of the status labels "code", "status", "status_code", "http_status", "http_response_status_code"/,
    );
    assert.match(result.why, /set analysis\.metrics\.statusLabel/);
  }
  assert.equal(configuredResult.result, "failed", JSON.stringify(configuredResult));
  assert.equal(configuredResult.source?.statusLabel, "response_code");
  assert.match(configuredResult.source?.query ?? "", /^sum by \(response_code\) /);
});

test("LATENCY_MS=800 fails latency-p99", () => {
  const result = results.get("slow")!["latency-p99"];
  assert.equal(result.result, "failed", JSON.stringify(result));
  assert.ok((result.values?.canaryP99 as number) > 0.5, JSON.stringify(result.values));
});

test("Prometheus stopped → inconclusive, saying it is unreachable", async () => {
  const url = prometheus!.url;
  await prometheus!.stop();
  prometheus = undefined;
  const now = new Date();
  const evaluated = await evaluateAll(url, context("good", new Date(now.getTime() - 60_000), now));
  for (const result of Object.values(evaluated)) {
    assert.equal(result.result, "inconclusive", JSON.stringify(result));
    if (result.result === "inconclusive")
      assert.match(result.why, /Prometheus at http:\/\/127\.0\.0\.1:\d+ is unreachable/);
  }
});
