// The status view from what was read: orphan detection, phase age, tracks.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { LeaseBasis, LeaseInfo } from "../../src/kube/lease-record.ts";
import { renderStatus } from "../../src/operate/render.ts";
import { buildStatus } from "../../src/operate/status.ts";
import { changeKey } from "../../src/operate/watch.ts";
import type { Phase, RolloutState } from "../../src/model/state.ts";

const now = Date.parse("2026-01-01T00:10:00Z");
const state = (phase: Phase): RolloutState => ({
  phase,
  revision: 2,
  image: "img:v2@sha256:22",
  previousImage: "img:v1@sha256:11",
  stepIndex: 1,
  weight: 50,
  targetWeight: 50,
  startedAt: "2026-01-01T00:00:00Z",
  updatedAt: "2026-01-01T00:09:00Z",
  stepStartedAt: "2026-01-01T00:08:00Z",
  actor: "ci",
  owner: "ci@host/1/abc",
  gates: [],
  inconclusive: {},
  activeMs: 0,
});
const lease = (basis: LeaseBasis): LeaseInfo => ({
  holder: "ci@host/1/abc",
  renewedAt: now - 5000,
  durationMs: 2000,
  basis,
  expired: basis === "free" || basis === "process-gone" || basis === "lapsed",
  unchangedMs: 0,
  local: false,
});
const STEPS = [{ weight: 20 }, { weight: 50, pause: "manual" as const }, { weight: 100 }];
const base = { app: "cart", namespace: "default", steps: STEPS, now };

// Orphaned is judged on what this process saw, never on the holder's renewTime against our clock:
// every case below has a renewTime 5 s old with a 2 s Lease.
const orphanCases: [string, Phase, LeaseInfo | undefined, boolean][] = [
  ["progressing, Lease seen renewing", "progressing", lease("live"), false],
  [
    "progressing, Lease not watched long enough (renewTime old by its clock)",
    "progressing",
    lease("unconfirmed"),
    false,
  ],
  ["progressing, Lease watched unchanged for its duration", "progressing", lease("lapsed"), true],
  ["progressing, holder's process on this machine gone", "progressing", lease("process-gone"), true],
  ["progressing, Lease released", "progressing", { ...lease("free"), holder: undefined }, true],
  ["progressing, no Lease", "progressing", undefined, true],
  ["promoting, Lease lapsed", "promoting", lease("lapsed"), true],
  ["paused (stopped on purpose)", "paused", lease("lapsed"), false],
  ["interrupted (stopped on purpose)", "interrupted", lease("lapsed"), false],
  ["promoted (not in flight)", "promoted", lease("lapsed"), false],
];
for (const [name, phase, held, orphaned] of orphanCases) {
  test(`orphaned: ${name} → ${orphaned}`, () =>
    assert.equal(buildStatus({ ...base, state: state(phase), lease: held }).orphaned, orphaned));
}

// Orphaned with traffic on the canary is said loudly (issue 11, finding 3): the router's weight first, else the record's.
const unwatchedCases: [string, LeaseInfo | undefined, number | undefined, boolean][] = [
  ["orphaned, router at 50 %", undefined, 50, true],
  ["orphaned, router already at 0 %", undefined, 0, false],
  ["orphaned, no routing object: the recorded 50 %", undefined, undefined, true],
  ["owned, router at 50 %", lease("live"), 50, false],
];
for (const [name, held, canaryWeight, unwatched] of unwatchedCases) {
  test(`unwatched canary: ${name} → ${unwatched}`, () => {
    const view = buildStatus({ ...base, state: state("progressing"), lease: held, canaryWeight });
    assert.equal(view.unwatchedCanary, unwatched);
    assert.equal(/NOBODY is watching it/.test(renderStatus(view)), unwatched);
  });
}

test("time in phase: a progressing rollout counts from its step's start", () => {
  const view = buildStatus({ ...base, state: state("progressing") });
  assert.equal(view.since, "2026-01-01T00:08:00Z");
  assert.equal(view.sinceSeconds, 120);
  assert.equal(view.step, 2);
});

test("tracks come from the Deployments; nothing deployed reads as phase none", () => {
  const view = buildStatus({ ...base });
  assert.equal(view.phase, "none");
  assert.equal(view.stable.exists, false);
  const stable = {
    spec: {
      replicas: 3,
      selector: {},
      template: { spec: { containers: [{ name: "cart", image: "img:v1@sha256:11" }] } },
    },
    status: { readyReplicas: 2 },
  };
  const withStable = buildStatus({ ...base, stable });
  assert.deepEqual([withStable.stable.digest, withStable.stable.ready, withStable.stable.desired], ["sha256:11", 2, 3]);
});

test("a change key ignores ages that tick every second", () => {
  const a = buildStatus({ ...base, state: state("progressing"), lease: lease("live") });
  const b = buildStatus({
    ...base,
    now: now + 3000,
    state: state("progressing"),
    lease: { ...lease("live"), renewedAt: now - 1000, unchangedMs: 800 },
  });
  assert.equal(changeKey(a), changeKey(b));
  const c = buildStatus({ ...base, state: { ...state("progressing"), weight: 100 } });
  assert.notEqual(changeKey(a), changeKey(c));
});
