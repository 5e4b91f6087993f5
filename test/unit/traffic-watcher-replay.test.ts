// The invariant-1 watcher judges events in resourceVersion order, whatever order
// they arrive in (a mirror of a real cluster delivers each type on its own stream).
import assert from "node:assert/strict";
import { test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { type KubeObject, Store } from "../../sandbox/store.ts";
import { watchTraffic } from "../helpers/traffic-watcher.ts";

const at = (rv: number, object: KubeObject): KubeObject => ({
  ...object,
  metadata: { namespace: "default", ...object.metadata, resourceVersion: String(rv) },
});
const ingress = (name: string, weight?: number): KubeObject => {
  const annotations: Record<string, string> = {};
  if (weight !== undefined) annotations["nginx.ingress.kubernetes.io/canary-weight"] = String(weight);
  return { metadata: { name, annotations } };
};
const service = (track: string) => ({
  metadata: { name: `shop-${track}` },
  spec: { selector: { app: "shop", track } },
});
const pod = (name: string, track: string, deleting = false) => ({
  metadata: {
    name,
    labels: { app: "shop", track },
    ...(deleting ? { deletionTimestamp: "2026-12-01T00:00:00Z" } : {}),
  },
  status: { conditions: [{ type: "Ready", status: "True" }] },
});

function setUp(store: Store) {
  store.putVerbatim(R.services, at(1, service("stable")));
  store.putVerbatim(R.services, at(2, service("canary")));
  store.putVerbatim(R.pods, at(3, pod("s1", "stable")));
  store.putVerbatim(R.pods, at(4, pod("c1", "canary")));
  store.putVerbatim(R.ingresses, at(5, ingress("shop")));
  store.putVerbatim(R.ingresses, at(6, ingress("shop-canary", 10)));
}

test("a canary pod taken away while its weight is still 10 % is a violation", () => {
  const store = new Store();
  const watcher = watchTraffic(store, "default", "shop");
  setUp(store);
  store.putVerbatim(R.pods, at(7, pod("c1", "canary", true)));
  store.putVerbatim(R.ingresses, at(8, ingress("shop-canary", 0)));
  assert.deepEqual(watcher.violations, ["canary weight 10% with no ready canary pod (after Pod c1 MODIFIED)"]);
  watcher.stop();
});

test("weight 0 written first, delivered after the pod's deletion: judged in the server's order, no violation", () => {
  const store = new Store();
  const watcher = watchTraffic(store, "default", "shop");
  setUp(store);
  // The router write (rv 7) happened before the pod was taken away (rv 8), but arrives later.
  store.putVerbatim(R.pods, at(8, pod("c1", "canary", true)));
  store.putVerbatim(R.ingresses, at(7, ingress("shop-canary", 0)));
  assert.deepEqual(watcher.violations, []);
  assert.deepEqual(watcher.weights, [10, 0]);
  watcher.stop();
});

test("weight written while the canary was never ready since the last write is a violation; one that crashed after being seen ready is not", () => {
  const crashed = { ...pod("c1", "canary"), status: { conditions: [{ type: "Ready", status: "False" }] } };
  const never = new Store();
  const strict = watchTraffic(never, "default", "shop");
  never.putVerbatim(R.services, at(1, service("stable")));
  never.putVerbatim(R.services, at(2, service("canary")));
  never.putVerbatim(R.pods, at(3, pod("s1", "stable")));
  never.putVerbatim(R.ingresses, at(4, ingress("shop")));
  never.putVerbatim(R.ingresses, at(5, ingress("shop-canary", 0)));
  never.putVerbatim(R.pods, at(6, crashed));
  never.putVerbatim(R.ingresses, at(7, ingress("shop-canary", 5)));
  assert.deepEqual(strict.violations, [
    "canary weight 5% with no ready canary pod (after Ingress shop-canary MODIFIED)",
  ]);
  strict.stop();

  const raced = new Store();
  const lenient = watchTraffic(raced, "default", "shop");
  raced.putVerbatim(R.services, at(1, service("stable")));
  raced.putVerbatim(R.services, at(2, service("canary")));
  raced.putVerbatim(R.pods, at(3, pod("s1", "stable")));
  raced.putVerbatim(R.ingresses, at(4, ingress("shop")));
  raced.putVerbatim(R.ingresses, at(5, ingress("shop-canary", 0)));
  raced.putVerbatim(R.pods, at(6, pod("c1", "canary")));
  raced.putVerbatim(R.pods, at(7, crashed));
  raced.putVerbatim(R.ingresses, at(8, ingress("shop-canary", 5)));
  assert.deepEqual(lenient.violations, []);
  lenient.stop();
});
