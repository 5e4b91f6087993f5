// A real Prometheus, started by the sandbox's helper, scrapes the pods listed in
// the file_sd targets file that startTraffic keeps. Pods are small node:http
// servers serving /metrics, recorded in the store as the pod runtime records its
// processes (sandbox/traffic/fake-pods.ts).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Store } from "../../sandbox/store.ts";
import { type FakePod, startFakePod } from "../../sandbox/traffic/fake-pods.ts";
import { startTraffic, type Traffic } from "../../sandbox/traffic/index.ts";
import { type RunningPrometheus, startPrometheus } from "../../sandbox/traffic/prometheus.ts";

const store = new Store();
const pods: FakePod[] = [];
let dir: string;
let traffic: Traffic;
let prometheus: RunningPrometheus;

before(async () => {
  const probe = spawnSync("prometheus", ["--version"]);
  if (probe.error)
    assert.fail("prometheus is missing on this machine: run scripts/real-parts.sh to install the real parts");
  dir = await mkdtemp(join(tmpdir(), "grayctl-targets-"));
  const targetsFile = join(dir, "targets.json");
  pods.push(
    await startFakePod(store, { name: "web-stable-a", labels: { app: "web", track: "stable" }, version: "v1" }),
  );
  pods.push(
    await startFakePod(store, {
      name: "web-canary-a",
      labels: { app: "web", track: "canary", "pod-template-hash": "abc" },
      version: "v2",
    }),
  );
  traffic = await startTraffic(store, { prometheusTargetsFile: targetsFile });
  prometheus = await startPrometheus({ targetsFile });
});

after(async () => {
  await prometheus?.stop();
  await traffic?.stop();
  for (const pod of pods) await pod.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Polls a PromQL query until `done` holds; every wait has a deadline. */
async function eventually<T>(promql: string, done: (result: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    last = await prometheus.query(promql);
    if (done(last as T)) return last as T;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `prometheus: ${promql} did not reach the expected result within ${timeoutMs} ms; last: ${JSON.stringify(last)}`,
  );
}

type Series = { metric: Record<string, string>; value: [number, string] }[];

test("Prometheus scrapes every ready pod from the targets file, with app and track labels", async () => {
  const up = await eventually<Series>("up", (r) => r.length === 2 && r.every((s) => s.value[1] === "1"));
  const byPod = Object.fromEntries(up.map((s) => [s.metric.pod, s.metric]));
  assert.equal(byPod["web-stable-a"].app, "web");
  assert.equal(byPod["web-stable-a"].track, "stable");
  assert.equal(byPod["web-canary-a"].track, "canary");
  assert.equal(byPod["web-canary-a"].namespace, "default");
  assert.equal(byPod["web-canary-a"].pod_template_hash, "abc", "pod labels are sanitised into label names");
  assert.equal(byPod["web-canary-a"].instance, `127.0.0.1:${pods[1].port}`);
  // The pods' own metrics arrive with the same labels.
  await eventually<Series>('demo_requests_total{track="canary"}', (r) => r.length === 1);
});

test("a pod that stops being ready leaves the targets file and Prometheus's targets", async () => {
  pods[1].setReady(false);
  await traffic.settled();
  const file = JSON.parse(await readFile(join(dir, "targets.json"), "utf8"));
  assert.deepEqual(
    file.map((group: { labels: { pod: string } }) => group.labels.pod),
    ["web-stable-a"],
  );
  // Once a target is gone, `up` stops being reported for it (staleness marker).
  await eventually<Series>('up{pod="web-canary-a"}', (r) => r.length === 0);
  pods[1].setReady(true);
  await eventually<Series>('up{pod="web-canary-a"}', (r) => r.length === 1 && r[0].value[1] === "1");
});
