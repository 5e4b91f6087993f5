// Fault injection as a client sees it: seeded 500s at the configured rate, 429
// with Retry-After, reset connections (ECONNRESET), latency, and 409 on updates.
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, afterEach, before, describe, it } from "node:test";
import { ApiException, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { type Sandbox, startSandbox } from "../../sandbox/index.ts";

let sandbox: Sandbox;

async function get(path: string, init: RequestInit = {}) {
  const response = await fetch(`${sandbox.url}${path}`, { ...init, signal: AbortSignal.timeout(5000) });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** A raw request, to see exactly how the connection ended. */
function rawGet(path: string): Promise<{ status?: number; errorCode?: string }> {
  return new Promise((resolve) => {
    const req = request(`${sandbox.url}${path}`, { timeout: 5000, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode }));
    });
    req.on("error", (error: NodeJS.ErrnoException) => resolve({ errorCode: error.code }));
    req.end();
  });
}

before(async () => {
  sandbox = await startSandbox({
    workloads: false,
    traffic: false,
    faults: [
      {
        name: "boot",
        verbs: ["list"],
        path: "^/api/v1/namespaces/default/secrets$",
        action: { type: "error", code: 500 },
      },
    ],
  });
});
after(() => sandbox.stop());
afterEach(() => sandbox.faults.clear());

describe("fault injection", () => {
  it("applies rules given at start", async () => {
    assert.equal((await get("/api/v1/namespaces/default/secrets")).status, 500);
    assert.equal((await get("/api/v1/namespaces/default/configmaps")).status, 200);
    assert.equal(sandbox.faults.count("boot"), 1);
  });

  it("fails about 30% of requests with 500 when told to, repeatably with a seed", async () => {
    const run = async () => {
      sandbox.faults.set(
        [{ name: "flaky", verbs: ["list"], action: { type: "error", code: 500 }, probability: 0.3 }],
        42,
      );
      const statuses: number[] = [];
      for (let i = 0; i < 200; i++) statuses.push((await get("/api/v1/namespaces/default/configmaps")).status);
      return statuses;
    };
    const first = await run();
    const failures = first.filter((s) => s === 500).length;
    assert.ok(failures >= 40 && failures <= 80, `expected about 60 failures of 200, got ${failures}`);
    assert.equal(sandbox.faults.count("flaky"), failures);
    assert.equal(sandbox.faults.matched.get("flaky"), 200);
    assert.deepEqual(await run(), first, "the same seed gives the same sequence");
  });

  it("throttles with 429, a Retry-After header and a TooManyRequests Status", async () => {
    sandbox.faults.set([{ verbs: ["get"], action: { type: "throttle", retryAfterSeconds: 2 } }]);
    const answer = await get("/api/v1/namespaces/default");
    assert.equal(answer.status, 429);
    assert.equal(answer.headers.get("retry-after"), "2");
    assert.equal(answer.body.reason, "TooManyRequests");
    assert.equal(answer.body.details.retryAfterSeconds, 2);
  });

  it("resets the connection (ECONNRESET)", async () => {
    sandbox.faults.set([{ name: "reset", path: "/configmaps$", action: { type: "reset" }, limit: 1 }]);
    assert.deepEqual(await rawGet("/api/v1/namespaces/default/configmaps"), { errorCode: "ECONNRESET" });
    assert.deepEqual(
      await rawGet("/api/v1/namespaces/default/configmaps"),
      { status: 200 },
      "the limit stops the rule after one",
    );
    assert.equal(sandbox.faults.count("reset"), 1);
  });

  it("adds latency", async () => {
    sandbox.faults.set([{ verbs: ["list"], action: { type: "latency", ms: 300 } }]);
    const started = performance.now();
    assert.equal((await get("/api/v1/namespaces/default/configmaps")).status, 200);
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 290, `took ${elapsed.toFixed(0)} ms`);
    sandbox.faults.clear();
    const quick = performance.now();
    await get("/api/v1/namespaces/default/configmaps");
    assert.ok(performance.now() - quick < 250);
  });

  it("answers updates with 409 Conflict, seen by client-node as an ApiException", async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(sandbox.kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    const cm = await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "conflicted" } },
    });
    sandbox.faults.set([{ name: "conflict", verbs: ["update"], action: { type: "conflict" } }]);
    await assert.rejects(
      core.replaceNamespacedConfigMap({ name: "conflicted", namespace: "default", body: cm }),
      (error: unknown) => {
        assert.ok(error instanceof ApiException);
        assert.equal(error.code, 409);
        assert.equal(JSON.parse(error.body as string).reason, "Conflict");
        return true;
      },
    );
    const read = await core.readNamespacedConfigMap({ name: "conflicted", namespace: "default" });
    assert.equal(read.metadata?.name, "conflicted", "other verbs are untouched");
    assert.equal(sandbox.faults.count(), 1);
  });

  it("rejects malformed rules with a clear message", () => {
    assert.throws(
      () => sandbox.faults.set([{ action: { type: "error", code: 500 }, probability: 2 }]),
      /probability 2 is not within 0..1/,
    );
    assert.throws(() => sandbox.faults.set([{ action: { type: "explode" } as never }]), /action.type must be one of/);
  });
});
