// The release story through every router, on the sandbox and (npm run
// test:cluster) on the real control plane as the Role's ServiceAccount: v1
// deployed; v2 promoted under load; v3-unhealthy and v3-err20 rolled back; a
// rollback after the promotion; a forced rollback during a rollout; history
// equal to what kubectl reads from the state ConfigMap.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { describeTally, startLoad } from "../helpers/load.ts";
import { demoImage, eventually, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const ROUTERS = ["nginx", "istio", "gateway-api", "replicas"] as const;

// 150 req/s through the front door: at 20 % about 90 canary requests per 3 s
// window, enough for minRequests and for the rule to tell 20 % errors from 0 %.
const config = (router: (typeof ROUTERS)[number]) => `app: shop
namespace: default
deployment:
  replicas: 2
traffic:
  router: ${router}
  host: shop.local
${router === "istio" || router === "gateway-api" ? "  gateway: shop-gateway\n" : ""}rollout:
  steps: [20, 50, 100]
  interval: 3s
  readyTimeout: 10s
  progressDeadline: 2m
analysis:
  metrics:
    provider: pods
    minRequests: 20
    checks:
      - { name: error-rate, max: 0.01 }
`;

const usersIngress = {
  metadata: { name: "shop-users" },
  spec: {
    ingressClassName: "nginx",
    rules: [
      {
        host: "shop.local",
        http: {
          paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "shop", port: { number: 80 } } } }],
        },
      },
    ],
  },
};

const lastEvent = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1)!);

for (const router of ROUTERS) {
  describe(`${router}: the release story`, () => {
    let app: SandboxApp;
    const stableImage = () =>
      app.sandbox.store.get(R.deployments, app.namespace, "shop")?.spec.template.spec.containers[0].image;
    const canaryReplicas = () => app.sandbox.store.get(R.deployments, app.namespace, "shop-canary")?.spec.replicas;
    const underLoad = async (args: string[]) => {
      const load = startLoad({ url: app.sandbox.frontDoorUrl!, host: "shop.local", rate: 150, durationMs: 60_000 });
      const result = await app.grayctl([...args, "-o", "json"], { timeoutMs: 60_000 });
      return { result, seen: await load.stop() };
    };

    before(async () => {
      app = await startSandboxApp(config(router));
      // With no router, users reach the app through the team's own Ingress to the Service of both tracks.
      if (router === "replicas") await app.create(R.ingresses, usersIngress);
    });
    after(() => app?.stop());

    test(`${router}: v1 is deployed to stable`, async () => {
      const result = await app.grayctl(["rollout", "--image", demoImage("v1"), "-o", "json"]);
      assert.equal(result.code, 0, result.stderr + result.stdout);
      assert.equal(lastEvent(result.stdout).outcome, "deployed");
      assert.equal(stableImage(), demoImage("v1"));
    });

    test(`${router}: v2 is promoted under load, users see no errors`, async () => {
      const { result, seen } = await underLoad(["rollout", "--image", demoImage("v2")]);
      assert.equal(result.code, 0, result.stderr + result.stdout);
      assert.equal(lastEvent(result.stdout).outcome, "promoted");
      assert.equal(stableImage(), demoImage("v2"));
      assert.equal(canaryReplicas(), 0);
      assert.equal(seen.appErrors + seen.routingErrors + seen.failed, 0, describeTally("users", seen));
    });

    for (const [tag, reason] of [
      ["v3-unhealthy", /not ready|\/healthz/],
      ["v3-err20", /^error-rate: canary /],
    ] as const) {
      test(`${router}: ${tag} is rolled back (exit 3), stable stays on v2`, async () => {
        const { result } = await underLoad(["rollout", "--image", demoImage(tag)]);
        assert.equal(result.code, 3, result.stderr + result.stdout);
        const outcome = lastEvent(result.stdout);
        assert.equal(outcome.outcome, "rolled-back");
        assert.match(outcome.reason, reason);
        assert.equal(stableImage(), demoImage("v2"));
        assert.equal(canaryReplicas(), 0);
        assert.equal(app.state()?.weight, 0);
      });
    }

    test(`${router}: rollback after the promotion brings stable back to v1`, async () => {
      // The latest release (v3-err20) was already rolled back: going further back is explicit.
      const result = await app.grayctl(["rollback", "--to-revision", "1", "--reason", "v2 regressed", "-o", "json"]);
      assert.equal(result.code, 0, result.stderr + result.stdout);
      assert.equal(lastEvent(result.stdout).restoredRevision, 1);
      assert.equal(stableImage(), demoImage("v1"));
    });

    test(`${router}: a forced rollback during a rollout takes traffic to stable and stops the rollout`, async () => {
      const rollout = app.spawn(["rollout", "--image", demoImage("v4"), "--set", "rollout.interval=60s", "-o", "json"]);
      await eventually(
        "the v4 rollout at its first step",
        () => app.state()?.image === demoImage("v4") && app.state()?.weight === 20,
        60_000,
      );
      const rollback = await app.grayctl(["rollback", "--force", "--reason", "pager", "-o", "json"]);
      assert.equal(rollback.code, 0, rollback.stderr + rollback.stdout);
      assert.equal(lastEvent(rollback.stdout).outcome, "rolled-back");
      const first = await rollout.done;
      assert.equal(first.code, 3, first.stderr + first.stdout);
      assert.equal(app.state()?.weight, 0);
      assert.equal(canaryReplicas(), 0);
      assert.equal(stableImage(), demoImage("v1"));
    });

    test(`${router}: history agrees with what kubectl reads from the state ConfigMap`, async () => {
      const history = await app.grayctl(["history", "-o", "json"]);
      assert.equal(history.code, 0, history.stderr);
      const releases = history.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line))
        .filter((e) => e.type === "release");
      const { stdout } = await promisify(execFile)("/usr/bin/kubectl", [
        "--kubeconfig",
        app.kubectlKubeconfig,
        "-n",
        app.namespace,
        "get",
        "configmap",
        "shop-grayctl",
        "-o",
        "jsonpath={.data.history}",
      ]);
      const recorded: { revision: number; outcome: string; image: string }[] = JSON.parse(stdout);
      const pick = (r: { revision: number; outcome: string; image: string }) => [r.revision, r.outcome, r.image];
      assert.deepEqual(releases.map(pick), recorded.map(pick));
      assert.deepEqual(
        releases.map((r) => [r.revision, r.outcome, r.image.split("@")[0]]),
        [
          [1, "deployed", "sandbox.local/demo-app:v1"],
          [2, "promoted", "sandbox.local/demo-app:v2"],
          [3, "rolled-back", "sandbox.local/demo-app:v3-unhealthy"],
          [4, "rolled-back", "sandbox.local/demo-app:v3-err20"],
          [2, "rolled-back", "sandbox.local/demo-app:v2"],
          [5, "rolled-back", "sandbox.local/demo-app:v4"],
        ],
      );
    });
  });
}
