// API round trips of the on-call commands, counted with the sandbox's onRequest
// hook while every request takes 400 ms: requests that arrive within 200 ms of
// one another were sent without waiting for an answer, i.e. in one round trip.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { demoImage, eventually, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const CONFIG = `app: trip
deployment:
  replicas: 1
traffic:
  router: nginx
  host: trip.local
rollout:
  steps: [10, 100]
  interval: 10m
  readyTimeout: 30s
  leaseDuration: 4s
`;
const LATENCY_MS = 400;
const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";

interface Request {
  method: string;
  url: string;
  at: number;
}
let app: SandboxApp;
let recording: Request[] | undefined;
const isRouterWrite = (r: Request) => r.method !== "GET" && r.url.includes("/ingresses/trip-canary");

before(async () => {
  app = await startSandboxApp(CONFIG, {
    onRequest: (method, url) => {
      if (!recording) return;
      const request = { method, url, at: performance.now() };
      recording.push(request);
      // Only the way to the router write is slowed down.
      if (isRouterWrite(request)) app.sandbox.faults.clear();
    },
  });
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
});
after(async () => {
  await app?.stop();
});

/** Runs `act` with every API request slowed down, and returns the requests it made. */
async function recorded(act: () => Promise<unknown>): Promise<Request[]> {
  recording = [];
  app.sandbox.faults.set([{ name: "latency", action: { type: "latency", ms: LATENCY_MS } }]);
  try {
    await act();
    return recording;
  } finally {
    recording = undefined;
    app.sandbox.faults.clear();
  }
}

/** 1 + the gaps longer than half the latency: how many times the client waited for an answer. */
function roundTrips(requests: Request[]): number {
  let trips = requests.length > 0 ? 1 : 0;
  for (let i = 1; i < requests.length; i++) if (requests[i].at - requests[i - 1].at > LATENCY_MS / 2) trips++;
  return trips;
}

const describe = (requests: Request[]) => requests.map((r) => `${r.method} ${r.url.split("?")[0]}`).join("\n");

test("status reads the record, the Lease, both Deployments and the route in one round trip", async (t) => {
  if (app.onCluster) return t.skip("counts the sandbox's requests");
  const requests = await recorded(async () => {
    const result = await app.grayctl(["status"]);
    assert.equal(result.code, 0, result.stderr);
  });
  assert.ok(
    requests.every((r) => r.method === "GET"),
    describe(requests),
  );
  assert.ok(requests.length >= 5, describe(requests));
  assert.equal(roundTrips(requests), 1, describe(requests));
});

test("rollback --force sends its router write after two round trips: the reads it needs, then the write", async (t) => {
  if (app.onCluster) return t.skip("counts the sandbox's requests");
  const rollout = app.spawn(["rollout", "--image", demoImage("v2")]);
  await eventually("the rollout at 10 %", () => app.state()?.weight === 10, 60_000);
  rollout.kill("SIGSTOP"); // a hung CI job, still holding the Lease
  try {
    const requests = await recorded(async () => {
      const result = await app.grayctl(["rollback", "--force"]);
      assert.equal(result.code, 0, result.stderr);
    });
    const write = requests.findIndex(isRouterWrite);
    assert.ok(write >= 0, `no router write among\n${describe(requests)}`);
    const upToWrite = requests.slice(0, write + 1);
    assert.ok(
      upToWrite.slice(0, -1).every((r) => r.method === "GET"),
      describe(upToWrite),
    );
    assert.equal(roundTrips(upToWrite), 2, describe(upToWrite));
    const canary = app.sandbox.store.get(R.ingresses, app.namespace, "trip-canary");
    assert.equal(canary?.metadata.annotations?.[WEIGHT], "0");
  } finally {
    rollout.kill("SIGKILL");
    await rollout.done;
  }
});

test("a plain rollback of a rollout whose process is gone writes the route first too, after reading the Lease", async (t) => {
  if (app.onCluster) return t.skip("counts the sandbox's requests");
  const rollout = app.spawn(["rollout", "--image", demoImage("v3")]);
  await eventually("the rollout at 10 %", () => app.state()?.weight === 10, 60_000);
  rollout.kill("SIGKILL"); // died on this machine: its Lease is taken at once (decision 007)
  await rollout.done;
  const requests = await recorded(async () => {
    const result = await app.grayctl(["rollback"]);
    assert.equal(result.code, 0, result.stderr);
  });
  const write = requests.findIndex(isRouterWrite);
  const upToWrite = requests.slice(0, write + 1);
  assert.ok(write > 0 && upToWrite.slice(0, -1).every((r) => r.method === "GET"), describe(requests));
  // The Lease and the record, then the route's read, then its write.
  assert.equal(roundTrips(upToWrite), 3, describe(upToWrite));
});
