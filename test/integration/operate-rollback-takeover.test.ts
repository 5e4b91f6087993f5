// On-call's `grayctl rollback` (no --force) during a rollout that a live
// process — here a "CI job" — is running: it takes the rollout over and rolls
// back, as `abort` does, and names the process it superseded (user, host, pid,
// CI job). Before issue 19 it answered "Wait for it to finish" (exit 5). And
// `abort` of an app that is not in the namespace is exit 2 naming the
// namespace (before: "nothing to abort", exit 0). Also on the real control
// plane (scripts/test-cluster.mjs SHARED_SUITES).
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { demoImage, eventually, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const CONFIG = `app: relief
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: relief.local
rollout:
  steps: [10, 50, 100]
  interval: 30s
  readyTimeout: 20s
  progressDeadline: 3m
  leaseDuration: 4s
`;
const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";
/** The rollout runs "in GitHub Actions": its Lease records the run, which the rollback names. */
const CI_JOB = {
  GITHUB_ACTIONS: "true",
  GITHUB_SERVER_URL: "https://github.example",
  GITHUB_REPOSITORY: "shop/relief",
  GITHUB_RUN_ID: "4242",
  GRAYCTL_ACTOR: "ci-bot",
};

let app: SandboxApp;
before(async () => {
  app = await startSandboxApp(CONFIG);
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
});
after(async () => {
  await app.stop();
});

const lines = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
const canaryWeight = () =>
  app.sandbox.store.get(R.ingresses, app.namespace, "relief-canary")?.metadata.annotations?.[WEIGHT];
const stableImage = () =>
  app.sandbox.store.get(R.deployments, app.namespace, "relief")?.spec.template.spec.containers[0].image;

test("rollback without --force during a live rollout takes it over, rolls back (exit 0) and names the CI job it superseded", async () => {
  const rollout = app.spawn(["rollout", "--image", demoImage("v2"), "-o", "json"], { env: CI_JOB });
  try {
    await eventually("the rollout at its first step", () => app.state()?.weight === 10, 60_000);
    const rollback = await app.grayctl(["rollback", "--reason", "pager", "-o", "json"], {
      env: { GRAYCTL_ACTOR: "oncall-alice" },
    });
    assert.equal(rollback.code, 0, rollback.stderr + rollback.stdout);
    const result = lines(rollback.stdout).at(-1);
    assert.equal(result.outcome, "rolled-back");
    assert.equal(result.exitCode, 0);
    const owner = `ci-bot on ${hostname()} \\(pid \\d+, CI job https://github\\.example/shop/relief/actions/runs/4242\\)`;
    assert.match(result.tookOverFrom, new RegExp(`^${owner}$`));
    assert.match(result.message, new RegExp(`took the rollout over from ${owner}`));
    assert.match(rollback.stdout, new RegExp(`took the rollout lock over from ${owner} \\(forced\\)`));
    assert.doesNotMatch(rollback.stderr + rollback.stdout, /Wait for it to finish/);

    const superseded = await rollout.done;
    assert.equal(superseded.code, 3, superseded.stderr);
    assert.equal(lines(superseded.stdout).at(-1).outcome, "superseded");
    await app.grayctl(["status"]); // lets the mirror catch up on the real cluster
    assert.equal(app.state()?.phase, "rolled-back");
    assert.equal(canaryWeight(), "0");
    assert.equal(stableImage(), demoImage("v1"));
  } finally {
    rollout.kill("SIGKILL");
  }
});

test("abort of an app the namespace does not have: exit 2 naming the namespace it looked in", async () => {
  const result = await app.grayctl(["abort", "--set", "app=nosuchapp"]);
  assert.equal(result.code, 2, result.stderr + result.stdout);
  assert.match(
    result.stderr,
    new RegExp(`nothing to abort: nosuchapp was never deployed to namespace ${app.namespace} \\(no Deployment`),
  );
  assert.match(result.stderr, /Check --namespace, --context and the app name/);
});
