// Which release a rollback returns to, as a table over histories.
import assert from "node:assert/strict";
import { test } from "node:test";
import { planRollback, splitImage, stableLineage } from "../../src/operate/lineage.ts";
import type { Release } from "../../src/model/state.ts";

const at = "2026-01-01T00:00:00Z";
const deployed = (revision: number): Release => ({
  revision,
  image: `img:v${revision}`,
  actor: "ci",
  time: at,
  outcome: "deployed",
});
const promoted = (revision: number): Release => ({ ...deployed(revision), outcome: "promoted" });
const canaryFailed = (revision: number): Release => ({
  ...deployed(revision),
  outcome: "rolled-back",
  reason: "health",
});
const restored = (revision: number, to: number): Release => ({
  ...deployed(revision),
  outcome: "rolled-back",
  restoredRevision: to,
});

const describe = (plan: ReturnType<typeof planRollback>) =>
  plan.kind === "restore" ? `restore ${plan.from.revision}→${plan.to.revision}` : plan.kind;

const cases: [string, Release[], number | undefined, string][] = [
  ["nothing recorded", [], undefined, "refuse"],
  ["only the first deploy", [deployed(1)], undefined, "nothing"],
  ["one promotion", [deployed(1), promoted(2)], undefined, "restore 2→1"],
  [
    "a failed canary leaves stable alone: nothing to undo",
    [deployed(1), promoted(2), canaryFailed(3)],
    undefined,
    "nothing",
  ],
  ["a failed canary, then rollback --to-revision 1", [deployed(1), promoted(2), canaryFailed(3)], 1, "restore 2→1"],
  ["after a rollback a second one is a no-op", [deployed(1), promoted(2), restored(2, 1)], undefined, "nothing"],
  [
    "a rolled-back release is skipped by the next rollback",
    [deployed(1), promoted(2), promoted(3), restored(3, 2), promoted(4)],
    undefined,
    "restore 4→2",
  ],
  ["--to-revision of the current release", [deployed(1), promoted(2)], 2, "nothing"],
  ["--to-revision of a failed canary is refused", [deployed(1), canaryFailed(2)], 2, "refuse"],
  ["--to-revision forward to an undone release", [deployed(1), promoted(2), restored(2, 1)], 2, "restore 1→2"],
];

for (const [name, history, toRevision, expected] of cases) {
  test(`planRollback: ${name}`, () => assert.equal(describe(planRollback(history, toRevision)), expected));
}

test("stableLineage pops back to the restored revision", () => {
  const lineage = stableLineage([deployed(1), promoted(2), promoted(3), restored(3, 1), promoted(4)]);
  assert.deepEqual(
    lineage.map((r) => r.revision),
    [1, 4],
  );
});

test("splitImage separates the digest", () => {
  assert.deepEqual(splitImage("r.io/a/b:v1@sha256:ab"), { name: "r.io/a/b:v1", digest: "sha256:ab" });
  assert.deepEqual(splitImage("r.io:5000/a:v1"), { name: "r.io:5000/a:v1" });
  assert.deepEqual(splitImage(undefined), {});
});
