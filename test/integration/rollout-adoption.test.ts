// Objects grayctl finds under its names before it moves any traffic (issue 12,
// item 5): another app's (apps `pay` and `pay-canary` in one namespace), a
// team's Deployment whose pods lack the track label or whose selector would
// take the canary's pods too, a Service with another selector — each refused
// with exit 2 naming the object, nothing changed; a team's Deployment and
// Service that fit the model are adopted, and the output says so.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { grantAppRole } from "../helpers/cluster-sandbox.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const config = (app: string, namespace: string) => `app: ${app}
namespace: ${namespace}
deployment:
  replicas: 2
traffic:
  router: nginx
  host: ${app}.local
rollout:
  steps: [50, 100]
  interval: 1s
  readyTimeout: 30s
  progressDeadline: 3m
  leaseDuration: 4s
`;

let app: SandboxApp;
before(async () => {
  app = await startSandboxApp(config("pay", "default"));
});
after(() => app.stop());

const store = () => app.sandbox.store;

const granted = new Set<string>();

/** Runs grayctl for another app in the same namespace (on the real cluster, with that app's per-app Role too). */
async function grayctlFor(name: string, args: string[]) {
  if (app.onCluster && !granted.has(name)) {
    await grantAppRole(app.namespace, name);
    granted.add(name);
  }
  const path = join(app.dir, `${name}.yaml`);
  await writeFile(path, config(name, app.namespace));
  return app.grayctl(["--config", path, ...args]);
}

/** A Deployment as a team writes it, outside grayctl. */
function teamDeployment(name: string, selector: Record<string, string>, podLabels: Record<string, string>) {
  return {
    metadata: { name, labels: { team: "payments" } },
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: podLabels },
        spec: {
          containers: [
            {
              name,
              image: demoImage("v1"),
              ports: [{ containerPort: 8080 }],
              readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  };
}

/** What a refused rollout must leave: no record, no canary, no Service or Ingress of its own. */
function nothingCreatedFor(name: string) {
  assert.equal(store().get(R.configmaps, app.namespace, `${name}-grayctl`), undefined, "no state record");
  assert.equal(store().get(R.leases, app.namespace, `${name}-grayctl`), undefined, "no Lease");
  assert.equal(store().get(R.services, app.namespace, `${name}-stable`), undefined, "no stable Service");
  assert.equal(store().get(R.ingresses, app.namespace, `${name}-canary`), undefined, "no canary Ingress");
}

test("apps pay and pay-canary in one namespace: pay-canary is refused, naming pay's objects, and nothing of pay changes", async () => {
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
  const promoted = await app.grayctl(["rollout", "--image", demoImage("v2")]);
  assert.equal(promoted.code, 0, promoted.stderr);
  const canaryBefore = store().get(R.deployments, app.namespace, "pay-canary");
  assert.ok(canaryBefore, "pay's canary Deployment exists (scaled to 0)");

  const refused = await grayctlFor("pay-canary", ["rollout", "--image", demoImage("v1")]);
  assert.equal(refused.code, 2, refused.stderr + refused.stdout);
  assert.match(
    refused.stderr,
    /Deployment pay-canary belongs to grayctl app pay, not pay-canary: apps pay and pay-canary cannot share a namespace/,
  );
  assert.match(refused.stderr, /Service pay-canary belongs to grayctl app pay/);
  assert.doesNotMatch(refused.stderr, /at .*\.[jt]s:\d+/, "no stack trace");
  const canaryAfter = store().get(R.deployments, app.namespace, "pay-canary");
  assert.equal(canaryAfter?.metadata.resourceVersion, canaryBefore.metadata.resourceVersion, "pay's canary untouched");
  assert.equal(store().get(R.configmaps, app.namespace, "pay-canary-grayctl"), undefined);
});

test("a team's Deployment whose pods lack the track label, selected by app alone: refused before anything is created, saying why", async () => {
  await app.create(R.deployments, teamDeployment("ledger", { app: "ledger" }, { app: "ledger" }));
  const refused = await grayctlFor("ledger", ["rollout", "--image", demoImage("v2")]);
  assert.equal(refused.code, 2, refused.stderr + refused.stdout);
  assert.match(refused.stderr, /Deployment ledger selects its pods by \{app=ledger\}, without track=stable/);
  assert.match(refused.stderr, /Service ledger-stable would have no endpoints while the router sends it traffic/);
  assert.match(
    refused.stderr,
    /recreate the Deployment with spec\.selector\.matchLabels \{app: ledger, track: stable\}/,
  );
  nothingCreatedFor("ledger");
  assert.equal(store().get(R.deployments, app.namespace, "ledger-canary"), undefined, "no canary");
});

test("a Service of the app's with another selector: refused, naming it and both selectors", async () => {
  await app.create(
    R.deployments,
    teamDeployment("till", { app: "till", track: "stable" }, { app: "till", track: "stable" }),
  );
  await app.create(R.services, {
    metadata: { name: "till-stable" },
    spec: { selector: { app: "till" }, ports: [{ port: 80, targetPort: 8080 }] },
  });
  const refused = await grayctlFor("till", ["rollout", "--image", demoImage("v2")]);
  assert.equal(refused.code, 2, refused.stderr + refused.stdout);
  assert.match(refused.stderr, /Service till-stable selects \{app=till\}, not \{app=till,track=stable\}/);
  assert.equal(store().get(R.deployments, app.namespace, "till-canary"), undefined, "no canary");
  assert.equal(store().get(R.configmaps, app.namespace, "till-grayctl"), undefined, "no state record");
});

test("a team's Deployment and Service that fit the model are adopted, and the output says so", async () => {
  await app.mutate(R.services, "till-stable", (service) => {
    service.spec.selector = { app: "till", track: "stable" };
  });
  const adopted = await grayctlFor("till", ["rollout", "--image", demoImage("v2")]);
  assert.equal(adopted.code, 0, adopted.stderr + adopted.stdout);
  assert.match(adopted.stdout + adopted.stderr, /adopting Deployment till \(created outside grayctl/);
  assert.match(adopted.stdout + adopted.stderr, /adopting Service till-stable \(created outside grayctl/);
  assert.equal(
    store().get(R.deployments, app.namespace, "till")?.spec.template.spec.containers[0].image,
    demoImage("v2"),
  );
});
