// A namespace that does not exist is the user's to fix: the API server answers
// the first write there (the rollout's Lease) with 404 `namespaces "x" not
// found`, which grayctl said as "internal error: HTTP-Code: 404 … This is a bug
// in grayctl" (exit 1). Now: exit 2 naming the namespace and how to fix it,
// nothing written, no stack trace.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const CONFIG = `app: web
namespace: default
deployment:
  replicas: 1
traffic:
  router: nginx
  host: web.local
rollout:
  steps: [100]
  interval: 1s
  readyTimeout: 20s
`;

let app: SandboxApp;
before(async () => {
  app = await startSandboxApp(CONFIG);
});
after(() => app?.stop());

test("a rollout into a namespace that does not exist: exit 2 naming it and how to create it; nothing written", async () => {
  const result = await app.grayctl(["rollout", "--image", demoImage("v1"), "-n", "nowhere"]);
  assert.equal(result.code, 2, result.stderr + result.stdout);
  assert.match(result.stderr, /namespace "nowhere" does not exist in this cluster/);
  assert.match(result.stderr, /kubectl create namespace nowhere/);
  assert.doesNotMatch(result.stderr, /internal error|HTTP-Code|\n\s+at /);
  for (const type of [R.deployments, R.leases, R.configmaps])
    assert.deepEqual(
      app.sandbox.store.list(type, "nowhere"),
      [],
      `${type.kind} written in a namespace that does not exist`,
    );
});
