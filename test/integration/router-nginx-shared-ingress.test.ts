// The nginx router on an Ingress the team shares with another service (issue
// 12, item 3): the canary Ingress copies only the paths that route to
// `<app>-stable` (requests to the other service's path never reach the
// canary, checked through the front door), keeps the class however the main
// Ingress sets it, follows changes to the main Ingress at its next write, and
// another canary Ingress for the same host is refused before anything changes.
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const CONFIG = `app: shop
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: shop.local
rollout:
  steps: [{ weight: 50, pause: manual }, 100]
  interval: 2s
  readyTimeout: 30s
  progressDeadline: 3m
  leaseDuration: 4s
`;
const CLASS = "kubernetes.io/ingress.class";

let app: SandboxApp;
before(async () => {
  app = await startSandboxApp(CONFIG);
  // Another team's service on the same host, under /api.
  const labels = { app: "catalog" };
  await app.create(R.deployments, {
    metadata: { name: "catalog", labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: "catalog",
              image: demoImage("catalog"),
              ports: [{ containerPort: 8080 }],
              readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  });
  await app.create(R.services, {
    metadata: { name: "catalog" },
    spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
  });
  const path = (p: string, service: string) => ({
    path: p,
    pathType: "Prefix",
    backend: { service: { name: service, port: { number: 80 } } },
  });
  await app.create(R.ingresses, {
    metadata: { name: "shop", annotations: { [CLASS]: "nginx" } },
    spec: { rules: [{ host: "shop.local", http: { paths: [path("/api", "catalog"), path("/", "shop-stable")] } }] },
  });
});
after(() => app.stop());

const store = () => app.sandbox.store;
const canaryIngress = () => store().get(R.ingresses, app.namespace, "shop-canary");

/** The versions of the pods that answered `count` requests to `path` on shop.local through the front door. */
async function versions(path: string, count: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    // node:http, not fetch: fetch drops a Host header it is given.
    const version = await new Promise<string>((resolve, reject) => {
      const request = http.get(`${app.sandbox.frontDoorUrl}${path}`, { headers: { host: "shop.local" } }, (answer) => {
        answer.resume();
        // The demo app names its version on every answer (a 404 for a path it does not serve too); the front door does not.
        answer.on("end", () => resolve(String(answer.headers["x-version"] ?? `front door HTTP ${answer.statusCode}`)));
      });
      request.on("error", reject);
    });
    seen[version] = (seen[version] ?? 0) + 1;
  }
  return seen;
}

test("at 50 %, /api still goes only to the other service: the canary Ingress copies just the path to shop-stable, with the class annotation", async () => {
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
  const paused = await app.grayctl(["rollout", "--image", demoImage("v2")]);
  assert.equal(paused.code, 4, paused.stderr + paused.stdout);

  const canary = canaryIngress();
  assert.deepEqual(canary?.spec.rules, [
    {
      host: "shop.local",
      http: {
        paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "shop-canary", port: { number: 80 } } } }],
      },
    },
  ]);
  assert.equal(canary?.metadata.annotations?.[CLASS], "nginx");
  assert.equal(canary?.spec.ingressClassName, undefined);

  assert.deepEqual(await versions("/api/items", 40), { catalog: 40 });
  const root = await versions("/", 40);
  assert.ok((root.v1 ?? 0) > 0 && (root.v2 ?? 0) > 0, `both tracks answer / at 50 %: ${JSON.stringify(root)}`);
  assert.equal((root.v1 ?? 0) + (root.v2 ?? 0), 40, JSON.stringify(root));
});

test("the team changes the main Ingress mid-rollout: the next write brings the canary's paths and class in step", async () => {
  await app.mutate(R.ingresses, "shop", (ingress) => {
    delete ingress.metadata.annotations?.[CLASS];
    ingress.spec.ingressClassName = "nginx-internal";
    ingress.spec.rules[0].http.paths.push({
      path: "/static",
      pathType: "Prefix",
      backend: { service: { name: "shop-stable", port: { number: 80 } } },
    });
  });
  const promoted = await app.grayctl(["promote"]);
  assert.equal(promoted.code, 0, promoted.stderr + promoted.stdout);
  const canary = canaryIngress();
  assert.deepEqual(
    canary?.spec.rules[0].http.paths.map((p: { path: string; backend: { service: { name: string } } }) => [
      p.path,
      p.backend.service.name,
    ]),
    [
      ["/", "shop-canary"],
      ["/static", "shop-canary"],
    ],
  );
  assert.equal(canary?.spec.ingressClassName, "nginx-internal");
  assert.equal(canary?.metadata.annotations?.[CLASS], undefined);
  assert.deepEqual(await versions("/api/items", 10), { catalog: 10 });
});

test("another canary Ingress for the host: rollout refuses with exit 2 naming it, and changes nothing", async () => {
  await app.create(R.ingresses, {
    metadata: { name: "legacy-canary", annotations: { "nginx.ingress.kubernetes.io/canary": "true" } },
    spec: {
      ingressClassName: "nginx-internal",
      rules: [
        {
          host: "shop.local",
          http: {
            paths: [
              {
                path: "/legacy",
                pathType: "Prefix",
                backend: { service: { name: "catalog", port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  });
  const before = { state: app.state(), history: app.history().length };
  const refused = await app.grayctl(["rollout", "--image", demoImage("v3")]);
  assert.equal(refused.code, 2, refused.stderr + refused.stdout);
  assert.match(
    refused.stderr,
    new RegExp(`Ingress legacy-canary in namespace ${app.namespace} is already a canary Ingress for host shop.local`),
  );
  assert.doesNotMatch(refused.stderr, /at .*\.[jt]s:\d+/, "no stack trace");
  assert.deepEqual(app.state(), before.state, "the record is untouched");
  assert.equal(app.history().length, before.history);
  assert.equal(store().get(R.deployments, app.namespace, "shop-canary")?.spec.replicas, 0);
});
