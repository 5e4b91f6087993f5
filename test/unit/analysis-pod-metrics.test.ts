import assert from "node:assert/strict";
import { test } from "node:test";
import { scrapeAll, trackWindow } from "../../src/analysis/pod-metrics.ts";
import type { PodRef } from "../../src/analysis/types.ts";

const pod = (name: string, track: "canary" | "stable"): PodRef => ({ name, namespace: "shop", track, port: 8080 });

function metrics(ok: number, errors: number, buckets: [number, number][] = []): string {
  const total = ok + errors;
  const lines = [`http_requests_total{code="200"} ${ok}`, `http_requests_total{code="500"} ${errors}`];
  for (const [le, count] of buckets) lines.push(`http_request_duration_seconds_bucket{le="${le}"} ${count}`);
  lines.push(
    `http_request_duration_seconds_bucket{le="+Inf"} ${total}`,
    `http_request_duration_seconds_count ${total}`,
  );
  return lines.join("\n");
}

// scrapePod here is a plain function over fixed pages: these tests are about the
// arithmetic of deltas; the real HTTP path is covered in the integration test.
async function snapshotOf(pages: Record<string, string>, pods: PodRef[]) {
  return scrapeAll(
    pods,
    async (p) => {
      const page = pages[p.name];
      if (page === undefined) throw new Error("connection refused");
      return page;
    },
    { timeoutMs: 1000, concurrency: 4 },
  );
}

test("deltas per track: counters and histogram buckets", async () => {
  const pods = [pod("c1", "canary"), pod("s1", "stable"), pod("s2", "stable")];
  const start = await snapshotOf(
    { c1: metrics(100, 1, [[0.1, 90]]), s1: metrics(1000, 10, [[0.1, 1000]]), s2: metrics(0, 0, [[0.1, 0]]) },
    pods,
  );
  const end = await snapshotOf(
    { c1: metrics(395, 6, [[0.1, 190]]), s1: metrics(3000, 30, [[0.1, 2900]]), s2: metrics(500, 5, [[0.1, 505]]) },
    pods,
  );
  const canary = trackWindow(start, end, pods.slice(0, 1));
  assert.deepEqual([canary.requests, canary.errors, canary.observations], [300, 5, 300]);
  assert.deepEqual(canary.buckets, [
    { le: 0.1, count: 100 },
    { le: Number.POSITIVE_INFINITY, count: 300 },
  ]);
  assert.equal(canary.p99, 0.1, "p99 in +Inf is the highest finite bound");
  const stable = trackWindow(start, end, pods.slice(1));
  assert.deepEqual([stable.requests, stable.errors, stable.pods], [2525, 25, 2]);
});

test("counter reset: a pod whose counters went down counts its new values as the delta", async () => {
  const pods = [pod("c1", "canary")];
  const start = await snapshotOf({ c1: metrics(5000, 50) }, pods);
  // Restarted: 200s climbed back above... no, below; 500s climbed back above their old value.
  const end = await snapshotOf({ c1: metrics(40, 60) }, pods);
  const canary = trackWindow(start, end, pods);
  assert.deepEqual([canary.requests, canary.errors], [100, 60]);
  assert.deepEqual(canary.restartedPods, ["c1"]);
});

test("a pod that appears during the window counts from zero; one that left is ignored", async () => {
  const before = [pod("c1", "canary"), pod("c-old", "canary")];
  const after = [pod("c1", "canary"), pod("c2", "canary")];
  const start = await snapshotOf({ c1: metrics(100, 0), "c-old": metrics(7000, 700) }, before);
  const end = await snapshotOf({ c1: metrics(200, 0), c2: metrics(40, 2) }, after);
  const canary = trackWindow(start, end, after);
  assert.deepEqual([canary.requests, canary.errors, canary.pods], [142, 2, 2]);
});

test("a failed or unparseable scrape is recorded with the pod's reason", async () => {
  const pods = [pod("c1", "canary"), pod("c2", "canary")];
  const snapshot = await snapshotOf({ c1: "not a metric page {" }, pods);
  assert.match(snapshot.failures.get("shop/c1") ?? "", /unparseable \/metrics at line 1/);
  assert.match(snapshot.failures.get("shop/c2") ?? "", /connection refused/);
});

test("pod gates: evaluate without begin, and custom queries, are inconclusive — never a pass", async () => {
  const { createMetricGates } = await import("../../src/analysis/metric-gates.ts");
  const settings = {
    provider: "pods" as const,
    minRequests: 50,
    intervalMs: 60_000,
    checks: [
      { name: "error-rate", max: 0.01 },
      { name: "queue-depth", query: "x", max: 5 },
    ],
  };
  const clock = { now: () => 0, sleep: async () => {} };
  // scrapePod over a fixed page: the point is the gate's bookkeeping, not HTTP.
  const [errorRate, custom] = createMetricGates(settings, { clock, scrapePod: async () => metrics(1000, 0) });
  const ctx = {
    app: "checkout",
    namespace: "shop",
    step: 0,
    weight: 5,
    windowStart: new Date(0),
    windowEnd: new Date(60_000),
    canaryPods: [pod("c1", "canary")],
    stablePods: [pod("s1", "stable")],
  };
  const withoutBegin = await errorRate.evaluate(ctx);
  assert.equal(withoutBegin.result, "inconclusive");
  assert.equal((await custom.evaluate(ctx)).result, "inconclusive");
  await errorRate.begin?.(ctx);
  const nothingServed = await errorRate.evaluate(ctx);
  assert.equal(nothingServed.result, "inconclusive", "no requests in the window");
});
