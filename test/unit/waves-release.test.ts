// The order and failure policy of a release in waves (src/waves/release.ts),
// with targets that are scripted: the engine and the clusters behind a target
// are covered by test/integration/release-waves.test.ts on real sandboxes; here
// only the sequencing is under test (how many at once, what a bake failure undoes).
import assert from "node:assert/strict";
import { test } from "node:test";
import { systemClock } from "../../src/kube/clock.ts";
import { releaseInWaves, type TargetRun } from "../../src/waves/release.ts";

function targets(names: string[], script: { failRollout?: string; sickAfterMs?: Record<string, number> } = {}) {
  const log: string[] = [];
  let running = 0;
  let mostAtOnce = 0;
  const runs = new Map<string, TargetRun>(
    names.map((name) => {
      let promotedAt = 0;
      return [
        name,
        {
          name,
          async rollout(signal) {
            running++;
            mostAtOnce = Math.max(mostAtOnce, running);
            log.push(`rollout ${name}`);
            await systemClock.sleep(20, signal).catch(() => {});
            running--;
            if (script.failRollout === name) return { outcome: "rolled-back", exitCode: 3, message: "gate failed" };
            promotedAt = performance.now();
            return { outcome: "promoted", exitCode: 0, message: "promoted" };
          },
          async rollback() {
            log.push(`rollback ${name}`);
            return { outcome: "rolled-back", exitCode: 0, message: "rolled back" };
          },
          async health() {
            const after = script.sickAfterMs?.[name];
            return after !== undefined && performance.now() - promotedAt >= after ? "0 of 2 replicas ready" : undefined;
          },
        },
      ];
    }),
  );
  return { runs, log, mostAtOnce: () => mostAtOnce };
}

const options = (
  waves: { targets: string[]; bakeMs?: number; maxParallel?: number }[],
  onWaveFailure: "rollback" | "halt" = "rollback",
) => ({
  waves: waves.map((wave) => ({ bakeMs: 0, maxParallel: wave.targets.length, ...wave })),
  onWaveFailure,
  clock: systemClock,
  signal: new AbortController().signal,
  bakeCheckMs: 10,
  report: () => {},
});

test("maxParallel bounds how many targets of a wave roll out at once", async () => {
  const one = targets(["a", "b", "c"]);
  const ended = await releaseInWaves(one.runs, options([{ targets: ["a", "b", "c"], maxParallel: 1 }]));
  assert.equal(ended.outcome, "promoted");
  assert.equal(one.mostAtOnce(), 1);
  const all = targets(["a", "b", "c"]);
  await releaseInWaves(all.runs, options([{ targets: ["a", "b", "c"] }]));
  assert.equal(all.mostAtOnce(), 3);
});

test("a target unhealthy during its wave's bake fails the release: that wave and (rollback) earlier waves roll back", async () => {
  const { runs, log } = targets(["a", "b", "c"], { sickAfterMs: { c: 30 } });
  const ended = await releaseInWaves(
    runs,
    options([{ targets: ["a"] }, { targets: ["b", "c"], bakeMs: 2_000 }, { targets: ["d"] }]),
  );
  assert.equal(ended.outcome, "rolled-back");
  assert.equal(ended.exitCode, 3);
  assert.match(ended.message, /wave 2 failed: target c: 0 of 2 replicas ready/);
  assert.deepEqual(log.filter((line) => line.startsWith("rollback")).sort(), [
    "rollback a",
    "rollback b",
    "rollback c",
  ]);
  assert.ok(!log.includes("rollout d"), "the next wave never starts");
});

test("with halt, a failure in wave 2 leaves wave 1 promoted and rolls back wave 2's promoted targets", async () => {
  const { runs, log } = targets(["a", "b", "c"], { failRollout: "c" });
  const ended = await releaseInWaves(runs, options([{ targets: ["a"] }, { targets: ["b", "c"] }], "halt"));
  assert.equal(ended.exitCode, 3);
  assert.deepEqual(
    log.filter((line) => line.startsWith("rollback")),
    ["rollback b"],
  );
  assert.match(ended.message, /left on the new release \(onWaveFailure: halt\): a/);
});

test("a target whose API goes away mid-rollout is named not reached, never also rolled back", async () => {
  const release = targets(["a", "b"]);
  const b = release.runs.get("b")!;
  // b's engine gave up on its API (exit 6), and its rollback cannot reach it either.
  b.rollout = async () => ({ outcome: "unreachable", exitCode: 6, message: "the Kubernetes API did not answer" });
  b.rollback = async () => {
    throw Object.assign(new Error("connect ECONNREFUSED"), { exitCode: 6 });
  };
  const ended = await releaseInWaves(release.runs, options([{ targets: ["a"] }, { targets: ["b"] }]));
  assert.equal(ended.exitCode, 6);
  assert.match(ended.message, /rolled back: a;/);
  assert.doesNotMatch(ended.message, /rolled back: [^;]*\bb\b/);
  assert.match(ended.message, /not reached, left as they were: b /);
  assert.deepEqual(ended.targets.b, { wave: 2, rollout: "unreachable", rollback: "failed" });
});

test("a target whose API stops answering mid-rollout stops the release at once: the others roll back without waiting for its engine", async () => {
  const release = targets(["a", "b", "c"]);
  const b = release.runs.get("b")!;
  // b's engine meets an outage, tells the release, and keeps trying to route to stable until its deadline (here 300 ms).
  b.rollout = async (_signal, onOutage) => {
    await systemClock.sleep(10);
    onOutage("the Kubernetes API at https://b is not answering (ECONNREFUSED)");
    await systemClock.sleep(300);
    release.log.push("b's engine gave up");
    return { outcome: "unreachable", exitCode: 6, message: "the API did not answer up to the progress deadline" };
  };
  const c = release.runs.get("c")!;
  const cRollout = c.rollout;
  // c is in b's wave: it is stopped at its next safe point (its signal), as on Ctrl-C, and rolls back.
  c.rollout = async (signal, onOutage) => {
    const ended = await cRollout(signal, onOutage);
    await systemClock.sleep(100, signal).catch(() => {});
    return signal.aborted ? { outcome: "rolled-back", exitCode: 3, message: "interrupted" } : ended;
  };
  const ended = await releaseInWaves(release.runs, options([{ targets: ["a"] }, { targets: ["b", "c"] }]));
  assert.equal(ended.exitCode, 6);
  assert.match(ended.message, /wave 2 failed: target b: its Kubernetes API stopped answering/);
  assert.match(ended.message, /rolled back: a;/);
  assert.match(ended.message, /not reached, left as they were: b /);
  assert.match(ended.message, /since then b: unreachable$/);
  assert.ok(
    release.log.indexOf("rollback a") < release.log.indexOf("b's engine gave up"),
    `a rolled back before b's engine gave up: ${release.log.join(", ")}`,
  );
  assert.deepEqual(ended.targets.c, { wave: 2, rollout: "rolled-back" });
  assert.deepEqual(ended.targets.b, { wave: 2, rollout: "unreachable" });
});
