// hooks and notify (issue 15) against the sandbox, run as the built binary:
// a failing preRollout moves no traffic and writes nothing for the app;
// notifications reach a real local HTTP receiver in order, once per
// transition, retried past a 503, waited for before the process exits, and
// carry no secret; postPromotion and onRollback hooks see the run in their
// environment and their failures do not change the outcome.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { classify } from "../helpers/api-requests.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";
import { type TrafficWatcher, watchTraffic } from "../helpers/traffic-watcher.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver.ts";

const BASE = `app: hooked
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: hooked.local
rollout:
  steps: [50, 100]
  interval: 1s
  readyTimeout: 6s
  progressDeadline: 2m
  scaleDownDelay: 1s
`;

// Stands for a Slack webhook's secret path and a bearer token: neither may appear in any output.
const TOKEN = "T0KEN-s3cr3t-hooks-4242";
const requests: { method: string; url: string }[] = [];
let app: SandboxApp;
let receiver: WebhookReceiver;
let watcher: TrafficWatcher;

/** A node one-liner as argv (no shell): writes the hook's environment to FILE, then exits CODE. */
const envDump = (file: string, code = 0) => [
  process.execPath,
  "-e",
  `require("fs").appendFileSync(${JSON.stringify(file)}, JSON.stringify(process.env) + "\\n"); process.exit(${code})`,
];

async function configure(extra: string) {
  // The app's namespace: a fresh one per app on the real cluster.
  await writeFile(app.configPath, BASE.replace("namespace: default", `namespace: ${app.namespace}`) + extra);
}

const notifyYaml = () => `notify:
  - name: ops
    url: \${NOTIFY_URL}/json/\${NOTIFY_TOKEN}
    headers:
      Authorization: Bearer \${NOTIFY_TOKEN}
  - name: slack
    url: \${NOTIFY_URL}/slack/\${NOTIFY_TOKEN}
    format: slack
`;
const env = () => ({ NOTIFY_URL: receiver.url, NOTIFY_TOKEN: TOKEN });
const events = (path: string) => receiver.accepted(path).map((r) => JSON.parse(r.body));
const lastResult = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1)!);
const writes = (from: number) => requests.slice(from).filter((r) => r.method !== "GET");

before(async () => {
  app = await startSandboxApp(BASE, { onRequest: (method, url) => requests.push({ method, url }) });
  receiver = await startWebhookReceiver();
  watcher = watchTraffic(app.sandbox.store, app.namespace, "hooked");
  const first = await app.grayctl(["rollout", "--image", demoImage("v1"), "-o", "json"]);
  assert.equal(first.code, 0, first.stderr + first.stdout);
});

after(async () => {
  watcher.stop();
  await receiver.stop();
  await app.stop();
});

test("a failing preRollout stops the rollout before anything for the app is written: exit 3, no traffic moved", async () => {
  const dump = join(app.dir, "pre.env");
  await configure(`hooks:
  preRollout:
    - name: env
      command: ${JSON.stringify(envDump(dump))}
    - name: change-freeze
      command: [${JSON.stringify(process.execPath)}, "-e", "console.error('change freeze until friday', process.env.DEPLOY_TOKEN); process.exit(7)"]
    - name: never-runs
      command: ${JSON.stringify(envDump(join(app.dir, "never.env")))}
${notifyYaml()}`);
  const stateBefore = app.state();
  const weightsFrom = watcher.weights.length;
  const from = requests.length;
  // A CI token in the environment that the hook prints: grayctl knows it only as an inherited variable.
  const deployToken = "ci-deploy-t0ken-777";
  const result = await app.grayctl(["rollout", "--image", demoImage("v2"), "-o", "json"], {
    env: { ...env(), DEPLOY_TOKEN: deployToken },
  });
  assert.equal(result.code, 3, result.stderr + result.stdout);
  const outcome = lastResult(result.stdout);
  assert.equal(outcome.outcome, "pre-rollout-failed");
  assert.ok(!(result.stdout + result.stderr).includes(deployToken), "the printed CI token is masked");
  for (const r of receiver.received) assert.ok(!r.body.includes(deployToken));
  assert.match(
    outcome.reason,
    /preRollout hook "change-freeze" failed: .* exited 7; output: change freeze until friday/,
  );
  // The only writes are the app's Lease (taken so two pipelines never run the hook at once) and its release.
  const written = writes(from).map((r) => classify(r.method, r.url));
  assert.ok(written.length > 0);
  assert.ok(
    written.every((w) => w?.resource === "leases"),
    `writes: ${JSON.stringify(written)}`,
  );
  assert.deepEqual(watcher.weights.slice(weightsFrom), [], "the canary weight never moved");
  assert.equal(app.sandbox.store.get(R.deployments, app.namespace, "hooked-canary"), undefined);
  assert.deepEqual(app.state(), stateBefore);
  const seen = JSON.parse((await readFile(dump, "utf8")).trim());
  assert.equal(seen.GRAYCTL_HOOK, "preRollout");
  assert.equal(seen.GRAYCTL_APP, "hooked");
  assert.equal(seen.GRAYCTL_NAMESPACE, app.namespace);
  assert.equal(seen.GRAYCTL_IMAGE, demoImage("v2"));
  assert.equal(seen.GRAYCTL_REVISION, "2");
  await assert.rejects(readFile(join(app.dir, "never.env")), "hooks after the failing one do not run");
  // Nothing started, so the only transition is "failed".
  assert.deepEqual(
    events("/json/").map((e) => [e.event, e.outcome]),
    [["failed", "pre-rollout-failed"]],
  );
  assert.ok(!result.stdout.includes(TOKEN) && !result.stderr.includes(TOKEN));
});

test("notifications: started then promoted, once each, retried past a 503, no secret in them or in the output", async () => {
  receiver.received.length = 0;
  const post = join(app.dir, "post.env");
  // The receiver refuses the first attempt of every notification, and answers the promotion late:
  // grayctl retries, and waits for the answer before it exits.
  receiver.answer = ({ attempt, body }) =>
    attempt === 1 ? { status: 503 } : { status: 200, delayMs: body.includes("promoted") ? 1_500 : 0 };
  await configure(`hooks:
  postPromotion:
    - name: record
      command: ${JSON.stringify(envDump(post))}
    - name: broken-smoke-test
      command: [${JSON.stringify(process.execPath)}, "-e", "process.exit(1)"]
${notifyYaml()}`);
  const result = await app.grayctl(["rollout", "--image", demoImage("v2"), "-o", "json"], { env: env() });
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const outcome = lastResult(result.stdout);
  assert.equal(outcome.outcome, "promoted", "a failing postPromotion hook does not change the outcome");
  assert.deepEqual(
    outcome.hooks.map((h: { hook: string; ok: boolean }) => [h.hook, h.ok]),
    [
      ["record", true],
      ["broken-smoke-test", false],
    ],
  );
  const json = events("/json/");
  assert.deepEqual(
    json.map((e) => e.event),
    ["started", "promoted"],
  );
  assert.deepEqual(
    json.map((e) => [e.app, e.image, e.revision]),
    [
      ["hooked", demoImage("v2"), 2],
      ["hooked", demoImage("v2"), 2],
    ],
  );
  const slack = events("/slack/");
  assert.equal(slack.length, 2);
  assert.match(slack[0].text, /hooked.*started/);
  assert.match(slack[1].text, /hooked.*promoted/);
  assert.equal(
    receiver.accepted("/json/")[0].headers.authorization,
    `Bearer ${TOKEN}`,
    "the header reached the receiver",
  );
  for (const r of receiver.received) assert.ok(!r.body.includes(TOKEN), `a secret in a notification: ${r.body}`);
  assert.ok(!result.stdout.includes(TOKEN) && !result.stderr.includes(TOKEN), "a secret in grayctl's output");
  assert.doesNotMatch(result.stderr + result.stdout, /not delivered/);
  const seen = JSON.parse((await readFile(post, "utf8")).trim());
  assert.equal(seen.GRAYCTL_HOOK, "postPromotion");
  assert.equal(seen.GRAYCTL_OUTCOME, "promoted");
  assert.equal(seen.GRAYCTL_IMAGE, demoImage("v2"));
});

test("a rolled-back canary notifies started then rolled-back and runs onRollback with the reason", async () => {
  receiver.received.length = 0;
  receiver.answer = () => ({ status: 200 });
  const dump = join(app.dir, "rollback.env");
  await configure(`hooks:
  onRollback:
    - name: page
      command: ${JSON.stringify(envDump(dump))}
${notifyYaml()}`);
  const result = await app.grayctl(["rollout", "--image", demoImage("v3-unhealthy"), "-o", "json"], { env: env() });
  assert.equal(result.code, 3, result.stderr + result.stdout);
  assert.deepEqual(
    events("/json/").map((e) => e.event),
    ["started", "rolled-back"],
  );
  const seen = JSON.parse((await readFile(dump, "utf8")).trim());
  assert.equal(seen.GRAYCTL_OUTCOME, "rolled-back");
  assert.match(seen.GRAYCTL_OUTCOME_REASON, /healthz answered HTTP 500/);
});

test("a manual pause notifies paused; a re-run while paused notifies nothing; promote notifies promoted", async () => {
  receiver.received.length = 0;
  await configure(`${notifyYaml()}`);
  const paused = ["--set", "rollout.steps=[{weight: 50, pause: manual}, 100]"];
  const first = await app.grayctl(["rollout", "--image", demoImage("v4"), "-o", "json", ...paused], { env: env() });
  assert.equal(first.code, 4, first.stderr + first.stdout);
  const again = await app.grayctl(["rollout", "--image", demoImage("v4"), "-o", "json", ...paused], { env: env() });
  assert.equal(again.code, 4, again.stderr + again.stdout);
  const promoted = await app.grayctl(["promote", "-o", "json", ...paused], { env: env() });
  assert.equal(promoted.code, 0, promoted.stderr + promoted.stdout);
  assert.deepEqual(
    events("/json/").map((e) => e.event),
    ["started", "paused", "promoted"],
  );
});

test("grayctl rollback of a paused rollout notifies rolled-back, with the operator's reason, and runs no hook", async () => {
  receiver.received.length = 0;
  receiver.answer = () => ({ status: 200 });
  const dump = join(app.dir, "operator.env");
  await configure(`hooks:
  onRollback:
    - name: page
      command: ${JSON.stringify(envDump(dump))}
${notifyYaml()}`);
  const paused = ["--set", "rollout.steps=[{weight: 50, pause: manual}, 100]"];
  const first = await app.grayctl(["rollout", "--image", demoImage("v4b"), "-o", "json", ...paused], { env: env() });
  assert.equal(first.code, 4, first.stderr + first.stdout);
  const rollback = await app.grayctl(["rollback", "--reason", "bad checkout numbers", "-o", "json"], { env: env() });
  assert.equal(rollback.code, 0, rollback.stderr + rollback.stdout);
  assert.equal(lastResult(rollback.stdout).outcome, "rolled-back", "the result is still the last line");
  const json = events("/json/");
  assert.deepEqual(
    json.map((e) => e.event),
    ["started", "paused", "rolled-back"],
  );
  assert.equal(json[2].reason, "bad checkout numbers");
  assert.equal(json[2].image, demoImage("v4b"));
  await assert.rejects(readFile(dump), "an operator's rollback runs no onRollback hook");
});

test("a webhook that never answers neither blocks nor fails the rollout: dropped at its deadline with a warning", async () => {
  receiver.received.length = 0;
  receiver.answer = () => ({ status: 200, delayMs: 60_000 });
  await configure(`notify:
  - name: stuck
    url: \${NOTIFY_URL}/json/\${NOTIFY_TOKEN}
    timeout: 2s
`);
  const result = await app.grayctl(["rollout", "--image", demoImage("v5"), "-o", "json"], { env: env() });
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.equal(lastResult(result.stdout).outcome, "promoted");
  assert.match(result.stdout + result.stderr, /notify \\?"stuck\\?" \(started\) not delivered: no answer within/);
  assert.ok(!result.stdout.includes(TOKEN) && !result.stderr.includes(TOKEN));
});

test("a hook or webhook that is neither command nor url is a configuration error (exit 2) naming the field", async () => {
  await configure(`hooks:
  preRollout:
    - name: nothing
`);
  const result = await app.grayctl(["rollout", "--image", demoImage("v6")]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /hooks\.preRollout\[0\].*needs exactly one of command or url/);
});
