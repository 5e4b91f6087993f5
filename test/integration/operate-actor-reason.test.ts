// Who acted and why, as CI pipelines record them (issue 14): the approver of a
// manual promotion is not the pipeline's GITHUB_ACTOR, so `--actor` (or
// GRAYCTL_ACTOR) names them and beats what the CI environment says; a rollback's
// reason can come from GRAYCTL_REASON, so a pipeline passes a typed-in reason
// through the environment instead of splicing it into a command line.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const CONFIG = `app: ledger
namespace: default
deployment:
  replicas: 1
traffic:
  router: replicas
rollout:
  steps: [{ weight: 50, pause: manual }, 100]
  interval: 1s
  readyTimeout: 20s
`;

let app: SandboxApp;
const inGithub = { GITHUB_ACTOR: "pusher-bob", GRAYCTL_ACTOR: "" };

before(async () => {
  app = await startSandboxApp(CONFIG);
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr + first.stdout);
});
after(async () => {
  await app?.stop();
});

test("a manual promotion records the approver given with --actor, not GITHUB_ACTOR", async () => {
  const paused = await app.grayctl(["rollout", "--image", demoImage("v2")], { env: inGithub });
  assert.equal(paused.code, 4, paused.stderr + paused.stdout);
  assert.equal(app.state()?.phase, "paused");
  const promoted = await app.grayctl(["promote", "--actor", "approver-carol (GitHub Actions)"], { env: inGithub });
  assert.equal(promoted.code, 0, promoted.stderr + promoted.stdout);
  const release = app.history().find((entry) => entry.image === demoImage("v2"));
  assert.equal(release?.outcome, "promoted");
  assert.equal(release?.actor, "approver-carol (GitHub Actions)");
});

test("GRAYCTL_ACTOR beats GITHUB_ACTOR; GRAYCTL_REASON is the rollback's reason when --reason is not given", async () => {
  const result = await app.grayctl(["rollback"], {
    env: {
      GITHUB_ACTOR: "pusher-bob",
      GRAYCTL_ACTOR: "oncall-dave",
      GRAYCTL_REASON: `checkout 500s "since 10:02"; $(pwd)`,
    },
  });
  assert.equal(result.code, 0, result.stderr + result.stdout); // rolled back (a promotion undone): done as asked
  const last = app.history().at(-1);
  assert.equal(last?.actor, "oncall-dave");
  assert.equal(last?.reason, `checkout 500s "since 10:02"; $(pwd)`, "the text exactly as typed");
});

test("--actor with nothing in it: exit 2 naming the flag, nothing changed", async () => {
  const before = app.history().length;
  const result = await app.grayctl(["rollback", "--actor", " "]);
  assert.equal(result.code, 2, result.stderr + result.stdout);
  assert.match(result.stderr, /--actor: must not be empty/);
  assert.equal(app.history().length, before);
});
