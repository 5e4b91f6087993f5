// The bake's metric ceilings (decision 049) read from a real Prometheus
// (Debian's) scraping real demo-app processes labelled track "stable", as a
// promoted release is after promotion: a stable at 30 % errors breaks
// error-rate's max with its figure; a good one passes error-rate and a custom
// query whose {{track}} must be "stable" to find its series. A missing
// Prometheus fails with the install script's name; it is never skipped.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";
import { type BakeVerdict, createBakeChecks } from "../../src/analysis/bake-checks.ts";
import type { MetricsSettings } from "../../src/analysis/settings.ts";
import { type RunningPrometheus, startPrometheus } from "../../sandbox/traffic/prometheus.ts";
import { type DemoApp, load, realClock, scrapeDirect, startDemoApp } from "../integration/analysis-demo-apps.ts";

let prometheus: RunningPrometheus | undefined;
let dir: string;
const apps: Record<"good" | "bad", DemoApp | undefined> = { good: undefined, bad: undefined };
const verdicts: Record<string, BakeVerdict[]> = {};

function settings(url: string): MetricsSettings {
  return {
    provider: "prometheus",
    prometheus: { url, timeoutMs: 2000, deadlineMs: 4000 },
    minRequests: 50,
    intervalMs: 60_000,
    checks: [
      { name: "error-rate", max: 0.05 },
      // Relative only: nothing to judge after promotion.
      { name: "latency-p99" },
      {
        name: "stable-targets-up",
        query: 'sum(up{namespace="{{namespace}}",app="{{app}}",track="{{track}}",pod=~"{{pods}}"})',
        min: 1,
      },
    ],
  };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "grayctl-bake-prom-"));
  apps.good = await startDemoApp("bake-good-1", "stable", { ERROR_RATE: "0" });
  apps.bad = await startDemoApp("bake-bad-1", "stable", { ERROR_RATE: "0.3" });
  const groups = (["good", "bad"] as const).map((name) => ({
    targets: [`127.0.0.1:${apps[name]!.pod.port}`],
    labels: { namespace: "shop", app: `bake-${name}`, track: "stable", pod: apps[name]!.pod.name },
  }));
  const targetsFile = join(dir, "targets.json");
  await writeFile(targetsFile, JSON.stringify(groups));
  prometheus = await startPrometheus({ targetsFile, scrapeIntervalSeconds: 1 });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const up = await prometheus.query('sum(up{namespace="shop"})');
    if (Number(up[0]?.value[1] ?? 0) === groups.length) break;
    if (Date.now() > deadline) throw new Error(`targets not up within 30 s: ${JSON.stringify(up)}`);
    await sleep(500);
  }
  await sleep(2500);
  const bakes = (["good", "bad"] as const).map((name) => {
    const checks = createBakeChecks(settings(prometheus!.url), {
      clock: realClock,
      scrapePod: scrapeDirect,
      everyMs: 0,
    })!;
    const track = { app: `bake-${name}`, namespace: "shop", pods: [apps[name]!.pod] };
    return { name, checks, track };
  });
  // The bake's first look starts the counting; traffic spread over the bake; its last look judges.
  for (const bake of bakes) assert.deepEqual(await bake.checks.look(bake.track, false), []);
  for (let batch = 0; batch < 4; batch++) {
    await Promise.all([load(apps.good!.pod, 40, 10), load(apps.bad!.pod, 40, 10)]);
    await sleep(1000);
  }
  await sleep(3500); // three scrapes after the last request
  for (const bake of bakes) verdicts[bake.name] = await bake.checks.look(bake.track, true);
});

after(async () => {
  await prometheus?.stop();
  await Promise.all(Object.values(apps).map((app) => app?.stop()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("a good stable passes error-rate's ceiling and the custom query on track stable; relative-only checks are not judged", (t) => {
  for (const verdict of verdicts.good) t.diagnostic(`${verdict.result}: ${verdict.text}`);
  assert.deepEqual(
    verdicts.good.map((verdict) => [verdict.check, verdict.result]),
    [
      ["error-rate", "passed"],
      ["stable-targets-up", "passed"],
    ],
  );
  assert.match(verdicts.good[0].text, /^error-rate 0% \(0\/1\d\d\) on stable during the bake, max 5\.0%/);
});

test("a stable at 30 % errors breaks error-rate's max after promotion, with its figure", (t) => {
  for (const verdict of verdicts.bad) t.diagnostic(`${verdict.result}: ${verdict.text}`);
  assert.equal(verdicts.bad.length, 1, "the first crossed bound is the bake's failure");
  assert.equal(verdicts.bad[0].result, "failed");
  assert.match(
    verdicts.bad[0].text,
    /^error-rate (2\d|3\d|4\d)% \(\d+\/1\d\d\) > max 5\.0% on stable after promotion \(above-max e-value [\d.e+]+ ≥ 200\)$/,
  );
});
