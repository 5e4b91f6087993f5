// A wave's bake checks the promoted release's metric ceilings (issue 22,
// decision 049), on two sandboxes with load through each front door and the
// pods provider: a release whose errors start 6 s after its pods start
// (`-after6`) passes its canary in target a, breaks error-rate's max on
// stable during a's bake, and the release rolls a back (b is never touched);
// a healthy release bakes and says what its ceiling saw; a bake with too
// little traffic passes and says so.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startLoad } from "../helpers/load.ts";
import { demoImage } from "../helpers/sandbox-app.ts";
import { startWaveSandboxes, type WaveSandboxes } from "../helpers/wave-sandboxes.ts";

const CONFIG = `app: shop
deployment: { replicas: 1 }
traffic: { router: nginx, host: shop.local }
rollout: { steps: [50], interval: 1s, readyTimeout: 6s, progressDeadline: 1m, scaleDownDelay: 0s }
analysis:
  evaluateEvery: 2s
  metrics:
    provider: pods
    minRequests: 20
    checks:
      - { name: error-rate, max: 0.05 }
targets:
  - { name: a, context: a }
  - { name: b, context: b }
waves:
  - { targets: [a], bake: 10s }
  - { targets: [b] }
`;

let waves: WaveSandboxes;
let first: Awaited<ReturnType<WaveSandboxes["grayctl"]>>;
before(async () => {
  waves = await startWaveSandboxes();
  // The first deploy, without traffic: its bake has nothing to count.
  first = await waves.grayctl(CONFIG, ["rollout", "--image", demoImage("v1"), "-o", "json"]);
});
after(() => waves?.stop());

const events = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** A release with load through both sandboxes' front doors (the canaries' gates need requests). */
async function releaseUnderLoad(tag: string, env: Record<string, string> = {}) {
  const loads = [waves.a, waves.b].map((sandbox) =>
    startLoad({ url: sandbox.frontDoorUrl!, host: "shop.local", rate: 80, durationMs: 60_000 }),
  );
  try {
    return await waves.grayctl(CONFIG, ["rollout", "--image", demoImage(tag), "-o", "json"], env);
  } finally {
    await Promise.all(loads.map((load) => load.stop()));
  }
}

test("a bake with too little traffic passes, and says the ceiling was not judged", () => {
  assert.equal(first.code, 0, first.stderr + first.stdout);
  const checked = events(first.stdout).find((e) => e.type === "bake-check" && e.target === "a");
  assert.equal(checked?.result, "too-little-data", first.stdout);
  assert.match(
    String(checked?.summary),
    /error-rate: stable served \d+ requests during the bake, fewer than minRequests 20: not judged/,
  );
});

test("a healthy release bakes: its error-rate ceiling is judged on stable and passes", async (t) => {
  const run = await releaseUnderLoad("v2");
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const all = events(run.stdout);
  assert.equal(all.at(-1)?.outcome, "promoted");
  const checked = all.find((e) => e.type === "bake-check" && e.target === "a");
  assert.equal(checked?.result, "passed", run.stdout);
  t.diagnostic(`bake-check: ${checked?.summary}`);
  assert.match(
    String(checked?.summary),
    /^error-rate 0% \(0\/\d+\) on stable during the bake, max 5\.0% \(above-max e-value [\d.e+-]+ < 200\)$/,
  );
  assert.equal(waves.stableImage(waves.a, "shop"), demoImage("v2"));
  assert.equal(waves.stableImage(waves.b, "shop"), demoImage("v2"));
});

test("a release that passes its canary and breaks its error-rate ceiling during the bake: the bake fails and the release rolls back", async (t) => {
  const summary = join(waves.dir, "bake-summary.md");
  await writeFile(summary, "");
  const run = await releaseUnderLoad("v3-err50-after6", {
    GITHUB_ACTIONS: "true",
    CI: "true",
    GITHUB_STEP_SUMMARY: summary,
  });
  assert.equal(run.code, 3, run.stderr + run.stdout);
  const all = events(run.stdout);
  // a's canary passed its gate and was promoted: the failure is the bake's.
  assert.ok(
    all.some((e) => e.type === "target-result" && e.target === "a" && e.outcome === "promoted"),
    run.stdout,
  );
  const failed = all.find((e) => e.type === "bake-failed");
  t.diagnostic(`bake-failed: ${failed?.reason}`);
  assert.equal(failed?.target, "a");
  assert.match(
    String(failed?.reason),
    /^error-rate [\d.]+% \(\d+\/\d+\) > max 5\.0% on stable after promotion \(above-max e-value [\d.e+]+ ≥ 200\)$/,
  );
  const ended = all.at(-1)!;
  assert.equal(ended.outcome, "rolled-back");
  assert.match(String(ended.reason), /wave 1 failed: target a: error-rate .* > max 5\.0% on stable after promotion/);
  assert.deepEqual(ended.targets, { a: { wave: 1, rollout: "promoted", rollback: "rolled-back" }, b: { wave: 2 } });
  assert.equal(waves.stableImage(waves.a, "shop"), demoImage("v2"), "a back on its previous release");
  assert.equal(waves.stableImage(waves.b, "shop"), demoImage("v2"), "b never left it");
  // The step summary says the same: a promoted, its bake failed on the ceiling, rolled back; b never started.
  const text = await readFile(summary, "utf8");
  assert.match(
    text,
    /^\| 1 \| a \| ✅ promoted<br>❌ bake: error-rate [\d.]+% \(\d+\/\d+\) > max 5\.0% on stable after promotion .*\| ↩️ rolled-back \|/m,
  );
  assert.match(text, /^\| 2 \| b \| — not started \| — \| — \| — \|$/m);
  assert.match(text, /^Bake: ❌ error-rate [\d.]+% \(\d+\/\d+\) > max 5\.0% on stable after promotion/m);
});
