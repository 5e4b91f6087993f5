// grayctl rollout in GitLab CI (GITLAB_CI=true) against the sandbox: the
// dotenv report later jobs read (GRAYCTL_OUTCOME, _IMAGE, _DIGEST, _REVISION)
// and the Markdown summary kept as an artifact, for a promotion, a rollback
// and a cancelled job (SIGINT, then SIGTERM), which rolls back.
import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { dotenv } from "../helpers/ci-files.ts";
import { demoImage, eventually, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";
import { type TrafficWatcher, watchTraffic } from "../helpers/traffic-watcher.ts";

const CONFIG = `app: ledger
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: ledger.local
rollout:
  steps: [25, 100]
  interval: 1s
  readyTimeout: 10s
  progressDeadline: 2m
`;
const GITLAB = { GITLAB_CI: "true", CI: "true" };

let app: SandboxApp;
let watcher: TrafficWatcher;
before(async () => {
  app = await startSandboxApp(CONFIG);
  watcher = watchTraffic(app.sandbox.store, app.namespace, "ledger");
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
});
after(async () => {
  watcher.stop();
  await app.stop();
});

const stableImage = () =>
  app.sandbox.store.get(R.deployments, app.namespace, "ledger")?.spec.template.spec.containers[0].image;
const canaryWeight = () =>
  Number(
    app.sandbox.store.get(R.ingresses, app.namespace, "ledger-canary")?.metadata.annotations?.[
      "nginx.ingress.kubernetes.io/canary-weight"
    ],
  );
const digestOf = (tag: string) => demoImage(tag).split("@")[1];

test("promoted: grayctl.env in the job's directory names the release; grayctl-summary.md has the steps and the chart", async () => {
  const result = await app.grayctl(["rollout", "--image", demoImage("v2")], { env: GITLAB });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(dotenv(join(app.dir, "grayctl.env")), {
    GRAYCTL_OUTCOME: "promoted",
    GRAYCTL_IMAGE: demoImage("v2"),
    GRAYCTL_DIGEST: digestOf("v2"),
    GRAYCTL_REVISION: "2",
  });
  const summary = await readFile(join(app.dir, "grayctl-summary.md"), "utf8");
  assert.match(summary, /^### ✅ grayctl ledger: promoted$/m);
  assert.match(
    summary,
    /^\| 1\/2 \| 25% \| [^|]+ \| ✅ health: \d+\/\d+ canary pods ready, \/healthz 200, no restarts \|$/m,
  );
  assert.match(summary, /^\| 2\/2 \| 100% \|/m);
  assert.match(summary, /```mermaid\nxychart-beta\n[\s\S]* {2}bar \[25, 100\]\n```/);
  assert.doesNotMatch(result.stderr, /^::/m, "no GitHub workflow commands in a GitLab job");
});

test("rolled back (a canary failing /healthz): the dotenv report at GRAYCTL_DOTENV and the summary at GRAYCTL_SUMMARY say so", async () => {
  // A path that cannot be written (a directory): a warning, never a failed rollout.
  await mkdir(join(app.dir, "taken"));
  const unwritable = await app.grayctl(["rollout", "--image", demoImage("v3-unhealthy")], {
    env: { ...GITLAB, GRAYCTL_DOTENV: "taken" },
  });
  assert.equal(unwritable.code, 3, unwritable.stderr);
  assert.match(unwritable.stderr, /warn .*cannot write the CI report \S+\/taken: EISDIR/);
  const env = { ...GITLAB, GRAYCTL_DOTENV: "reports/release.env", GRAYCTL_SUMMARY: join(app.dir, "release.md") };
  const result = await app.grayctl(["rollout", "--image", demoImage("v3-unhealthy")], { env });
  assert.equal(result.code, 3, result.stderr);
  const report = dotenv(join(app.dir, "reports/release.env"));
  assert.equal(report.GRAYCTL_OUTCOME, "rolled-back");
  assert.equal(report.GRAYCTL_IMAGE, demoImage("v3-unhealthy"));
  assert.equal(report.GRAYCTL_DIGEST, digestOf("v3-unhealthy"));
  const summary = await readFile(join(app.dir, "release.md"), "utf8");
  assert.match(summary, /^### ❌ grayctl ledger: rolled-back$/m);
  assert.match(summary, /\/healthz answered HTTP 500/);
  assert.equal(stableImage(), demoImage("v2"));
});

test("a cancelled job (SIGINT, then SIGTERM): rolled back, and the dotenv report says so", async () => {
  const child = app.spawn(["rollout", "--image", demoImage("v4"), "--set", "rollout.interval=30s"], { env: GITLAB });
  try {
    await eventually(
      "the rollout at its first step",
      () => app.state()?.weight === 25 && app.state()?.image === demoImage("v4"),
      60_000,
    );
    child.kill("SIGINT");
    const sigterm = setTimeout(() => child.kill("SIGTERM"), 7_500);
    const result = await child.done;
    clearTimeout(sigterm);
    assert.equal(result.code, 3, result.stderr);
  } finally {
    child.kill("SIGKILL");
  }
  assert.equal(canaryWeight(), 0);
  assert.equal(stableImage(), demoImage("v2"));
  const report = dotenv(join(app.dir, "grayctl.env"));
  assert.equal(report.GRAYCTL_OUTCOME, "rolled-back");
  assert.equal(report.GRAYCTL_IMAGE, demoImage("v4"));
  assert.match(await readFile(join(app.dir, "grayctl-summary.md"), "utf8"), /received SIGINT.*onInterrupt: rollback/);
});

test("no track ever had weight without ready pods", () => {
  assert.deepEqual(watcher.violations, []);
});
