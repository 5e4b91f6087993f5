// Behaviours of the real kube-apiserver that the sandbox did not have until the
// real control plane (npm run cluster) showed them; each was a difference that
// let grayctl pass on the sandbox and fail on a real cluster.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Sandbox, startSandbox } from "../../sandbox/index.ts";

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox({ workloads: false, traffic: false });
});
after(() => sandbox.stop());

const createLease = (renewTime: string) =>
  fetch(`${sandbox.url}/apis/coordination.k8s.io/v1/namespaces/default/leases`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${sandbox.token}` },
    body: JSON.stringify({ metadata: { name: `l-${renewTime.length}` }, spec: { holderIdentity: "a", renewTime } }),
    signal: AbortSignal.timeout(5000),
  });

test("a Lease time with milliseconds is refused (MicroTime needs six fractional digits), as kube-apiserver does", async () => {
  const refused = await createLease("2026-12-01T02:37:31.825Z");
  assert.equal(refused.status, 400);
  assert.match((await refused.json()).message, /cannot parse "\.825Z" as "\.000000"/);
  const accepted = await createLease("2026-12-01T02:37:31.825000Z");
  assert.equal(accepted.status, 201);
});
