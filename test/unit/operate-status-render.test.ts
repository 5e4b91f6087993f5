// `grayctl status` as text: what runs now first, every figure labelled, the
// whole step list with a marker, and (--verbose) why a pod is not ready.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { CoreV1Event, V1Deployment, V1Pod } from "@kubernetes/client-node";
import type { RolloutState } from "../../src/model/state.ts";
import { explainReadiness } from "../../src/operate/readiness.ts";
import { renderStatus } from "../../src/operate/render.ts";
import { buildStatus } from "../../src/operate/status.ts";

const now = Date.parse("2026-01-01T00:10:00Z");
const STEPS = [
  { weight: 20 },
  { weight: 50, pause: "manual" as const },
  { weight: 80, pause: 30_000 },
  { weight: 100 },
];
const paused: RolloutState = {
  phase: "paused",
  revision: 2,
  image: "img:v2@sha256:22",
  previousImage: "img:v1@sha256:11",
  stepIndex: 1,
  weight: 50,
  targetWeight: 50,
  startedAt: "2026-01-01T00:00:00Z",
  updatedAt: "2026-01-01T00:09:56Z",
  actor: "ci",
  owner: "ci@host/1/abc",
  gates: [],
  inconclusive: {},
  activeMs: 0,
};
const deployment = (image: string, replicas: number, ready: number): V1Deployment => ({
  spec: { replicas, selector: {}, template: { spec: { containers: [{ name: "cart", image }] } } },
  status: { readyReplicas: ready },
});
const view = (extra: Partial<Parameters<typeof buildStatus>[0]> = {}) =>
  buildStatus({
    app: "cart",
    namespace: "shop",
    steps: STEPS,
    planRecorded: true,
    state: paused,
    currentRevision: 1,
    stable: deployment("img:v1@sha256:11", 3, 3),
    canary: deployment("img:v2@sha256:22", 1, 0),
    canaryWeight: 50,
    now,
    ...extra,
  });

test("status leads with what runs now: stable's revision and image, before the rollout in flight", () => {
  const lines = renderStatus(view()).split("\n");
  assert.equal(lines[0], "cart (namespace shop): paused");
  assert.equal(lines[1], "  running now: stable revision 1, img:v1@sha256:11 (3/3 pods ready)");
  assert.equal(lines[2], "  rolling out: revision 2, img:v2@sha256:22, by ci, in this phase for 4s");
  assert.equal(lines[3], "  canary traffic: 50% now (recorded 50%, target 50%)");
});

test("the whole step list, done steps ticked, a marker on the current one", () => {
  const text = renderStatus(view());
  const steps = text.slice(text.indexOf("  steps"));
  assert.match(
    steps,
    /^ {2}steps \(at step 2 of 4, as recorded when the rollout started\):\n {4}✔ 1\. 20%\n {4}⏸ 2\. 50%, then pause until `grayctl promote` {3}← here\n {6}3\. 80%, then pause 30s\n {6}4\. 100%\n/,
  );
  const progressing = renderStatus(view({ state: { ...paused, phase: "progressing", stepIndex: 2 } }));
  assert.match(progressing, /✔ 2\. 50%.*\n {4}▶ 3\. 80%, then pause 30s {3}← here/);
  const before = renderStatus(view({ state: { ...paused, phase: "progressing", stepIndex: -1 } }));
  assert.match(before, /steps \(before step 1 of 4, as recorded when the rollout started\):\n {6}1\. 20%/);
  // A record from an older grayctl holds no plan: the list is the configuration's, and says so.
  const older = renderStatus(view({ planRecorded: false }));
  assert.match(older, /steps \(at step 2 of 4, from the configuration: the record holds no plan\):/);
});

test("every figure is labelled: pods ready per track, time in phase", () => {
  const text = renderStatus(view());
  assert.match(text, /^ {2}stable 3\/3 pods ready {2}img:v1/m);
  assert.match(text, /^ {2}canary 0\/1 pods ready {2}img:v2/m);
  assert.match(text, /in this phase for 4s/);
});

const pod = (name: string, status: V1Pod["status"]): V1Pod => ({ metadata: { name }, status });
const unready = pod("cart-canary-abc", {
  conditions: [
    { type: "Ready", status: "False", reason: "ContainersNotReady", message: "containers with unready status: [cart]" },
  ],
  containerStatuses: [
    {
      name: "cart",
      ready: false,
      restartCount: 0,
      image: "img:v2",
      imageID: "",
      state: { running: { startedAt: new Date("2026-01-01T00:09:00Z") } },
    },
  ],
});
const probeEvent = (message: string, time: string): CoreV1Event => ({
  metadata: {},
  involvedObject: { kind: "Pod", name: "cart-canary-abc" },
  reason: "Unhealthy",
  message,
  lastTimestamp: new Date(time),
  count: 3,
});

test("--verbose: a pod not ready is explained — its probe's last failure from the kubelet's Events", () => {
  const events = [
    probeEvent("Readiness probe failed: HTTP probe failed with statuscode: 500", "2026-01-01T00:09:10Z"),
    probeEvent("Readiness probe failed: HTTP probe failed with statuscode: 503", "2026-01-01T00:09:50Z"),
  ];
  const readiness = { stable: [], canary: [explainReadiness(unready, events)] };
  const text = renderStatus(view({ readiness }), { verbose: true });
  assert.match(
    text,
    /^ {4}pod cart-canary-abc not ready: container cart running, its readiness probe not passing; kubelet: Readiness probe failed: HTTP probe failed with statuscode: 503 \(3×\)$/m,
  );
  assert.doesNotMatch(renderStatus(view({ readiness })), /not ready:/, "only with --verbose");
  const asked = explainReadiness(unready, [], "its readiness probe GET :8080/readyz answered HTTP 404");
  assert.deepEqual(asked.why, ["container cart running, its readiness probe GET :8080/readyz answered HTTP 404"]);
});

test("--verbose: a waiting container says its reason and message; without Events, the Ready condition", () => {
  const pulling = pod("cart-canary-def", {
    conditions: [{ type: "Ready", status: "False", reason: "ContainersNotReady" }],
    containerStatuses: [
      {
        name: "cart",
        ready: false,
        restartCount: 0,
        image: "img:v9",
        imageID: "",
        state: { waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image "img:v9"' } },
      },
    ],
  });
  assert.deepEqual(explainReadiness(pulling, []).why, [
    'container cart waiting: ImagePullBackOff — Back-off pulling image "img:v9"',
  ]);
  const pending = pod("cart-canary-ghi", {
    conditions: [{ type: "Ready", status: "False", reason: "ContainersNotReady", message: "not yet" }],
  });
  assert.deepEqual(explainReadiness(pending, []).why, ["Ready=False: ContainersNotReady not yet"]);
});
