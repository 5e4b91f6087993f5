import assert from "node:assert/strict";
import { test } from "node:test";
import type { Release } from "../../src/model/state.ts";
import { renderHistory } from "../../src/operate/history-render.ts";

const image = (tag: string) => `registry.example/shop/web:${tag}@sha256:${tag.repeat(32).slice(0, 64)}`;
const entry = (revision: number, outcome: Release["outcome"], extra: Partial<Release> = {}): Release => ({
  revision,
  image: image(`v${revision}`),
  actor: "ci",
  time: `2026-12-0${revision}T10:00:00.000Z`,
  outcome,
  ...extra,
});

// As recorded: v2 rolled back in flight, v3 promoted and then rolled back to 1.
const RECORD: Release[] = [
  entry(1, "deployed"),
  entry(2, "rolled-back", { reason: "gate error-rate failed" }),
  entry(3, "promoted"),
  entry(3, "rolled-back", { actor: "oncall-alice", reason: "v3 leaks memory", restoredRevision: 1 }),
];

test("history text: each revision once, newest first, what became of it in one row, * on what stable runs", () => {
  const lines = renderHistory(RECORD).split("\n");
  assert.match(lines[0], /^REV\s+OUTCOME\s+IMAGE\s+COMMIT\s+ACTOR\s+TIME\s+CHANGES\s+REASON$/);
  const rows = lines.slice(1, -1);
  assert.deepEqual(
    rows.map((row) => row.split(/\s{2,}/)[0]),
    ["3", "2", "1*"],
  );
  assert.match(rows[0], /^3\s+promoted, rolled-back → 1\s+registry\.example\/shop\/web:v3@sha256:v3v3v3/);
  assert.match(rows[0], /oncall-alice\s+2026-12-03T10:00:00Z\s+-\s+v3 leaks memory$/);
  assert.match(rows[1], /^2\s+rolled-back\s.*gate error-rate failed$/);
  assert.match(rows[2], /^1\*\s+deployed\s/);
  assert.match(lines.at(-1)!, /newest first; \* = what stable runs now/);
});

test("a revision rolled out again later moves to the top, still once", () => {
  const rows = renderHistory([entry(1, "deployed"), entry(2, "promoted"), entry(1, "promoted")])
    .split("\n")
    .slice(1, -1);
  assert.deepEqual(
    rows.map((row) => row.split(/\s{2,}/)[0]),
    ["1*", "2"],
  );
});

test("CHANGES: what the release changed, names only; - for entries recorded before changes were", () => {
  const rows = renderHistory([
    entry(1, "deployed"),
    entry(2, "promoted", {
      changes: { template: ["spec.containers[web].env.LOG_LEVEL"], objects: ["ConfigMap/web-config"] },
    }),
    entry(3, "promoted", { changes: { image: { from: image("v2"), to: image("v3") } } }),
  ])
    .split("\n")
    .slice(1, -1);
  assert.match(rows[0], /^3\*\s.*\s+image$/);
  assert.match(rows[1], /^2\s.*\s+spec\.containers\[web\]\.env\.LOG_LEVEL, ConfigMap\/web-config$/);
  assert.match(rows[2], /^1\s.*\s+-$/);
});
