// The campaigns' watcher (test/chaos/lib/invariants.ts) must catch what it
// claims to: a write from a process after another took its Lease or claimed
// its record, and stable set to an image after that image's rollback.
import assert from "node:assert/strict";
import { test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { Store } from "../../sandbox/store.ts";
import { InvariantWatcher, RequestLog } from "../chaos/lib/invariants.ts";

const ua = (owner: string) => `grayctl (${owner})`;

function cluster() {
  const store = new Store();
  const log = new RequestLog();
  store.create(R.leases, "default", { metadata: { name: "app-grayctl" }, spec: { holderIdentity: "p@h/1/a" } });
  store.create(R.deployments, "default", {
    metadata: { name: "app" },
    spec: { template: { spec: { containers: [{ name: "app", image: "img:v1" }] } } },
  });
  const watcher = new InvariantWatcher(store, "default", "app", log);
  return { store, log, watcher };
}

test("a write from the holder before a takeover is fine; after it, counted", () => {
  const { store, log, watcher } = cluster();
  log.onRequest("PATCH", "/apis/networking.k8s.io/v1/namespaces/default/ingresses/app-canary", ua("p@h/1/a"));
  store.mutate(R.leases, "default", "app-grayctl", (lease) => {
    lease.spec.holderIdentity = "q@h/2/b";
  });
  log.onRequest("GET", "/apis/apps/v1/namespaces/default/deployments/app", ua("p@h/1/a"));
  log.onRequest("PUT", "/apis/apps/v1/namespaces/default/deployments/app", ua("p@h/1/a"));
  log.onRequest("PUT", "/apis/apps/v1/namespaces/default/deployments/app", ua("q@h/2/b"));
  assert.deepEqual(watcher.finish().writesAfterLostOwnership, [
    "PUT /apis/apps/v1/namespaces/default/deployments/app from p@h/1/a",
  ]);
});

test("stable set to an image after its rollback is counted; a new rollout of it first makes it fine", () => {
  const { store, watcher } = cluster();
  const setStable = (image: string) =>
    store.mutate(R.deployments, "default", "app", (d) => {
      d.spec.template.spec.containers[0].image = image;
    });
  const record = (state: object, history: object[]) =>
    store.get(R.configmaps, "default", "app-grayctl")
      ? store.mutate(R.configmaps, "default", "app-grayctl", (cm) => {
          cm.data = { state: JSON.stringify(state), history: JSON.stringify(history) };
        })
      : store.create(R.configmaps, "default", {
          metadata: { name: "app-grayctl" },
          data: { state: JSON.stringify(state), history: JSON.stringify(history) },
        });
  setStable("img:v2");
  const rolledBack = [{ revision: 2, image: "img:v2", outcome: "rolled-back" }];
  record({ phase: "rolled-back", image: "img:v2", owner: "q" }, rolledBack);
  setStable("img:v1");
  setStable("img:v2");
  record({ phase: "progressing", image: "img:v3", stepIndex: -1, owner: "r" }, rolledBack);
  record({ phase: "progressing", image: "img:v2", stepIndex: -1, owner: "s" }, rolledBack);
  setStable("img:v1");
  setStable("img:v2");
  const { stableViolations } = watcher.finish();
  assert.equal(stableViolations.length, 1, stableViolations.join("\n"));
  assert.match(stableViolations[0], /^stable set to img:v2 \(version \d+\) after its rollback/);
});
