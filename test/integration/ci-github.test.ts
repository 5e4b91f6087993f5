// grayctl rollout in GitHub Actions (GITHUB_ACTIONS=true) against the sandbox,
// load flowing through the front door so that the pods provider's error-rate
// gate has numbers: the step summary (steps table, outcome, chart), the
// outputs in GITHUB_OUTPUT, the annotations of a rollback; then the action
// itself (action/main.mjs, as the runner starts it) cancelled as GitHub
// cancels a job (SIGINT, then SIGTERM 7.5 s later): it rolls back; and a
// second signal that cuts the rollback short still leaves outputs that say so.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { R } from "../../sandbox/resources.ts";
import { githubOutputs } from "../helpers/ci-files.ts";
import { UNBUNDLED } from "../helpers/cli.ts";
import { startLoad } from "../helpers/load.ts";
import { demoImage, eventually, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";
import { type TrafficWatcher, watchTraffic } from "../helpers/traffic-watcher.ts";

const CONFIG = `app: kiosk
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: kiosk.local
rollout:
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
const ACTION = fileURLToPath(new URL("../../action/main.mjs", import.meta.url));

let app: SandboxApp;
let watcher: TrafficWatcher;
let files: string;
const requests: { method: string; path: string }[] = [];
before(async () => {
  app = await startSandboxApp(CONFIG, {
    onRequest: (method, url) => requests.push({ method, path: url.split("?")[0] }),
  });
  watcher = watchTraffic(app.sandbox.store, app.namespace, "kiosk");
  files = await mkdtemp(join(tmpdir(), "grayctl-gh-files-"));
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
});
after(async () => {
  watcher.stop();
  await app.stop();
  await rm(files, { recursive: true, force: true });
});

const canaryWeight = () =>
  Number(
    app.sandbox.store.get(R.ingresses, app.namespace, "kiosk-canary")?.metadata.annotations?.[
      "nginx.ingress.kubernetes.io/canary-weight"
    ],
  );
const stableImage = () =>
  app.sandbox.store.get(R.deployments, app.namespace, "kiosk")?.spec.template.spec.containers[0].image;
const digestOf = (tag: string) => demoImage(tag).split("@")[1];

/** Fresh GITHUB_STEP_SUMMARY and GITHUB_OUTPUT files, as the runner gives every step. */
async function githubEnv(name: string) {
  const summary = join(files, `${name}-summary.md`);
  const output = join(files, `${name}-output`);
  await writeFile(summary, "");
  await writeFile(output, "");
  return {
    summary,
    output,
    env: { GITHUB_ACTIONS: "true", CI: "true", GITHUB_STEP_SUMMARY: summary, GITHUB_OUTPUT: output },
  };
}

async function rolloutUnderLoad(tag: string, env: Record<string, string>) {
  const load = startLoad({ url: app.sandbox.frontDoorUrl!, host: "kiosk.local", rate: 150, durationMs: 60_000 });
  try {
    return await app.grayctl(["rollout", "--image", demoImage(tag)], { env, timeoutMs: 60_000 });
  } finally {
    await load.stop();
  }
}

test("promoted: the summary has the steps table with every gate's numbers, the outcome and the chart; the outputs name the release", async () => {
  const gh = await githubEnv("promote");
  const result = await rolloutUnderLoad("v2", gh.env);
  assert.equal(result.code, 0, result.stderr);
  const summary = await readFile(gh.summary, "utf8");
  assert.match(summary, /^### ✅ grayctl kiosk: promoted$/m);
  assert.match(summary, /^\| Step \| Weight \| Duration \| Gates \(canary vs stable\) \|$/m);
  for (const [step, weight] of [
    [1, 20],
    [2, 50],
    [3, 100],
  ])
    assert.match(
      summary,
      new RegExp(
        `^\\| ${step}/3 \\| ${weight}% \\| \\d+(ms|s) \\| ✅ health: \\d+/\\d+ canary pods ready, /healthz 200, no restarts<br>✅ error-rate: canary [\\d.]+% \\(\\d+/\\d+\\) vs stable [\\d.]+% \\(\\d+/\\d+\\)`,
        "m",
      ),
    );
  assert.match(summary, /```mermaid\nxychart-beta\n/);
  assert.match(summary, /^ {2}x-axis \["1 · 20%", "2 · 50%", "3 · 100%"\]$/m);
  assert.match(summary, /^ {2}bar \[20, 50, 100\]$/m);
  assert.match(summary, /^ {2}line \[[\d.]+, [\d.]+, [\d.]+\]$/m);
  assert.deepEqual(githubOutputs(gh.output), {
    outcome: "promoted",
    image: demoImage("v2"),
    digest: digestOf("v2"),
    revision: "2",
  });
  assert.doesNotMatch(result.stderr, /^::error/m);
  assert.equal(stableImage(), demoImage("v2"));
});

test("a canary failing its error-rate gate: ::error annotations for the gate and the rollback, the failed row in the summary, outcome rolled-back", async () => {
  const gh = await githubEnv("rollback");
  const result = await rolloutUnderLoad("v3-err20", gh.env);
  assert.equal(result.code, 3, result.stderr);
  assert.match(
    result.stderr,
    /^::error title=grayctl%3A gate error-rate failed at step 1\/3 \(20%25\)::error-rate: canary [\d.]+%25 \(\d+\/\d+\) vs stable/m,
  );
  assert.match(result.stderr, /^::error title=grayctl%3A rolled-back::.*error-rate: canary/m);
  const summary = await readFile(gh.summary, "utf8");
  assert.match(summary, /^### ❌ grayctl kiosk: rolled-back$/m);
  assert.match(
    summary,
    /^\| 1\/3 \| 20% \| [^|]+ \| ✅ health: [^|]*<br>❌ error-rate: canary [\d.]+% \(\d+\/\d+\) vs stable .*canary is worse than stable/m,
  );
  assert.doesNotMatch(summary, /^\| 2\/3/m, "no step after the failed one");
  assert.match(summary, /^ {2}bar \[20\]$/m);
  assert.match(summary, /^ {2}line \[[1-9][\d.]*\]\n {2}line \[0\]$/m, "the canary's error rate above stable's");
  const outputs = githubOutputs(gh.output);
  assert.equal(outputs.outcome, "rolled-back");
  assert.equal(outputs.image, demoImage("v3-err20"));
  assert.equal(outputs.digest, digestOf("v3-err20"));
  assert.equal(outputs.revision, "3");
  assert.equal(stableImage(), demoImage("v2"));
  assert.equal(canaryWeight(), 0);
});

test("the action, cancelled as GitHub cancels a job (SIGINT, SIGTERM 7.5 s later): the kubeconfig input reached the CLI byte for byte in a 0600 file, nothing in it ran, and the rollout rolled back", async () => {
  const gh = await githubEnv("cancel");
  const runnerTemp = await mkdtemp(join(tmpdir(), "grayctl-runner-temp-"));
  const marker = join(files, "shell-ran");
  const kubeconfig = `${readFileSync(app.sandbox.kubeconfigPath, "utf8")}# "double" 'single' $(touch ${marker}-subst) \`touch ${marker}-backtick\` ; touch ${marker}-semicolon\n`;
  const token = /token: (\S+)/.exec(kubeconfig)?.[1];
  assert.ok(token, "the sandbox's kubeconfig carries a token");
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...UNBUNDLED,
    ...gh.env,
    KUBECONFIG: undefined,
    NO_COLOR: undefined,
    FORCE_COLOR: undefined,
    GRAYCTL_ACTOR: "test-runner",
    RUNNER_TEMP: runnerTemp,
    INPUT_COMMAND: "rollout",
    INPUT_CONFIG: app.configPath,
    INPUT_IMAGE: demoImage("v4"),
    INPUT_NAMESPACE: app.namespace,
    INPUT_ARGS: `--set 'rollout.interval=30s'`,
    INPUT_KUBECONFIG: kubeconfig,
  };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  // In a process group of its own, as the runner starts a step, so that the test can signal the whole group:
  // the CLI must get each signal once (a second one would cut its rollback short), whoever sends it.
  const action = spawn(process.execPath, [ACTION], { cwd: app.dir, env: env as NodeJS.ProcessEnv, detached: true });
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-action.pid!, signal);
    } catch {} // the group is gone: the action and the CLI have exited
  };
  let stdout = "";
  let stderr = "";
  action.stdout.on("data", (chunk) => (stdout += chunk));
  action.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => action.on("close", (code) => resolve(code)));
  try {
    await eventually(
      "the rollout at its first step",
      () => app.state()?.weight === 20 && app.state()?.image === demoImage("v4"),
      60_000,
    );
    // While the CLI runs, its kubeconfig is there: the input's bytes, private to the job's user.
    const [dir] = readdirSync(runnerTemp);
    const written = join(runnerTemp, dir, "kubeconfig");
    assert.equal(readFileSync(written, "utf8"), kubeconfig);
    assert.equal(statSync(written).mode & 0o777, 0o600);
    assert.equal(statSync(join(runnerTemp, dir)).mode & 0o777, 0o700);

    signalGroup("SIGINT");
    const sigterm = setTimeout(() => signalGroup("SIGTERM"), 7_500);
    const code = await exited;
    clearTimeout(sigterm);
    assert.equal(code, 3, stderr);
  } finally {
    signalGroup("SIGKILL");
  }
  assert.equal(canaryWeight(), 0);
  assert.equal(app.state()?.phase, "rolled-back");
  assert.equal(stableImage(), demoImage("v2"));
  const outputs = githubOutputs(gh.output);
  assert.equal(outputs.outcome, "rolled-back");
  assert.equal(outputs.image, demoImage("v4"));
  const summary = await readFile(gh.summary, "utf8");
  assert.match(summary, /^### ❌ grayctl kiosk: rolled-back$/m);
  assert.match(summary, /received SIGINT.*onInterrupt: rollback/);
  assert.match(stderr, /^::error title=grayctl%3A rolled-back::.*received SIGINT/m);
  // Masked before anything else was printed: the whole content, and the token on its own.
  assert.ok(stdout.startsWith("::add-mask::"), stdout.slice(0, 200));
  assert.ok(stdout.split("\n").includes(`::add-mask::${token}`));
  // Nothing in the kubeconfig ran, and nothing of it is left on disk or in the reports.
  for (const suffix of ["-subst", "-backtick", "-semicolon"]) assert.equal(existsSync(marker + suffix), false);
  assert.deepEqual(readdirSync(runnerTemp), [], "the kubeconfig file is removed");
  for (const text of [stderr, summary, readFileSync(gh.output, "utf8")]) assert.equal(text.includes(token), false);
  await rm(runnerTemp, { recursive: true, force: true });
});

test("a second signal during the rollback's route write: exit 130 once traffic is on stable, and the outputs and summary say interrupted", async () => {
  const gh = await githubEnv("forced");
  const child = app.spawn(["rollout", "--image", demoImage("v5"), "--set", "rollout.interval=30s"], { env: gh.env });
  try {
    await eventually(
      "the rollout at its first step",
      () => app.state()?.weight === 20 && app.state()?.image === demoImage("v5"),
      60_000,
    );
    // Every API answer takes a second: the second signal lands while the route write is in flight.
    app.sandbox.faults.set([{ name: "slow", action: { type: "latency", ms: 1_000 } }]);
    const from = requests.length;
    child.kill("SIGINT");
    await eventually("the route write to stable", () =>
      requests.slice(from).some((r) => r.method === "PATCH" && r.path.endsWith("/ingresses/kiosk-canary")),
    );
    child.kill("SIGTERM");
    const result = await child.done;
    assert.equal(result.code, 130, result.stderr);
    assert.match(result.stderr, /received SIGTERM; exiting once the write under way is done/);
  } finally {
    app.sandbox.faults.clear();
    child.kill("SIGKILL");
  }
  assert.equal(canaryWeight(), 0, "the route write finished before the exit");
  const outputs = githubOutputs(gh.output);
  assert.equal(outputs.outcome, "interrupted");
  const summary = await readFile(gh.summary, "utf8");
  assert.match(summary, /^### ⚠️ grayctl: interrupted$/m);
  assert.match(summary, /stopped by SIGTERM before the command ended; `grayctl status` shows where it stands/);
  assert.match(summary, /^\| 1\/3 \| 20% \|/m, "the steps it went through");
  // What a re-run or `grayctl rollback` finishes: here, the rest of the rollback.
  const rollback = await app.grayctl(["rollback"]);
  assert.equal(rollback.code, 0, rollback.stderr);
  assert.equal(stableImage(), demoImage("v2"));
});

test("no track ever had weight without ready pods", () => {
  assert.deepEqual(watcher.violations, []);
});
