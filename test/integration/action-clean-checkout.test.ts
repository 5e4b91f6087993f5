// The GitHub Action as the runner runs it: from a clean checkout of the
// repository at this commit (git clone: no node_modules, no dist/), with the
// pinned Node 24, npm's registry pointing at a closed port and `npm`/`npx` on
// PATH replaced by scripts that record being called. The action must run the
// bundle committed in action/dist/ (decision 038): status and a rollout work
// against the sandbox, nothing is installed, and the CLI's environment — what
// a hook sees — holds neither the kubeconfig's content nor its token.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const CONFIG = `app: parcel
namespace: default
deployment:
  replicas: 1
traffic:
  router: nginx
  host: parcel.local
rollout:
  steps: [100]
  interval: 1s
  readyTimeout: 10s
  progressDeadline: 1m
  scaleDownDelay: 0s
`;

let app: SandboxApp;
let work: string;
let clone: string;
let closedPort: number;

before(async () => {
  app = await startSandboxApp(CONFIG, { token: `kube-token-${process.pid}-c0ffee` });
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
  work = await mkdtemp(join(tmpdir(), "grayctl-action-clean-"));
  clone = join(work, "grayctl");
  // The commit under test, as actions/checkout gives it to the runner: tracked files only.
  const head = execFileSync("git", ["-C", REPO, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
  execFileSync("git", ["clone", "--quiet", "--no-checkout", REPO, clone]);
  execFileSync("git", ["-C", clone, "checkout", "--quiet", head]);
  // Stand-ins for npm and npx that only say they were called.
  await mkdir(join(work, "bin"));
  for (const name of ["npm", "npx"]) {
    const path = join(work, "bin", name);
    await writeFile(path, `#!/bin/sh\necho "$0 $*" >> "${join(work, "installs.log")}"\nexit 1\n`);
    await chmod(path, 0o755);
  }
  // A port nothing listens on: npm's registry, were anything to ask it.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closedPort = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
});

after(async () => {
  await app?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Runs the clone's action/main.mjs as the runner does: inputs as INPUT_*, the step's env, nothing else. */
function runAction(inputs: Record<string, string>, env: Record<string, string> = {}) {
  const summary = join(work, "summary.md");
  const environment: Record<string, string> = {
    PATH: `${join(work, "bin")}:/usr/local/bin:/usr/bin:/bin`,
    HOME: work,
    RUNNER_TEMP: work,
    npm_config_registry: `http://127.0.0.1:${closedPort}/`,
    npm_config_cache: join(work, "npm-cache"),
    GITHUB_ACTIONS: "true",
    CI: "true",
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_OUTPUT: join(work, "github-output"),
    GRAYCTL_ACTOR: "action-test",
    ...env,
  };
  for (const [name, value] of Object.entries(inputs)) environment[`INPUT_${name.toUpperCase()}`] = value;
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    // The Node the tests run on is the pinned node@24, the runner's node24.
    const child = spawn(process.execPath, [join(clone, "action/main.mjs")], { cwd: app.dir, env: environment });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the action did not finish within 90 s\n${stderr}`));
    }, 90_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test("the clean checkout has the committed bundle and nothing installed", () => {
  assert.ok(existsSync(join(clone, "action/dist/grayctl.js")), "action/dist/grayctl.js is committed");
  assert.ok(!existsSync(join(clone, "node_modules")), "no node_modules");
  assert.ok(!existsSync(join(clone, "dist")), "no dist/");
});

test("status from the clean checkout answers from the committed bundle, with no install", async () => {
  const kubeconfig = await readFile(app.sandbox.kubeconfigPath, "utf8");
  const result = await runAction({ command: "status", config: app.configPath, kubeconfig });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /::add-mask::/);
  assert.match(result.stdout + result.stderr, /parcel/);
  assert.ok(!existsSync(join(work, "installs.log")), "npm or npx was called");
  assert.ok(!existsSync(join(clone, "node_modules")), "something was installed into the checkout");
});

test("a rollout from the clean checkout runs its hook with no kubeconfig content or token in reach", async () => {
  const dump = join(work, "hook-env.json");
  await writeFile(
    app.configPath,
    `${CONFIG}hooks:\n  preRollout:\n    - name: env-dump\n      command: [${JSON.stringify(process.execPath)}, -e, "require('fs').writeFileSync(process.env.DUMP, JSON.stringify(process.env)); process.exit(1)"]\n`,
  );
  const kubeconfig = await readFile(app.sandbox.kubeconfigPath, "utf8");
  const result = await runAction(
    { command: "rollout", config: app.configPath, image: demoImage("v2"), kubeconfig },
    { DUMP: dump, GRAYCTL_REGISTRY_USERNAME: "ci", GRAYCTL_REGISTRY_PASSWORD: "registry-secret-for-the-build" },
  );
  // The preRollout hook failed on purpose (exit 1): the rollout stops before it writes anything.
  assert.equal(result.code, 3, result.stdout + result.stderr);
  const seen = JSON.parse(await readFile(dump, "utf8")) as Record<string, string>;
  assert.deepEqual(
    Object.keys(seen).filter((name) => name.startsWith("INPUT_")),
    [],
    "no action input reaches the CLI's environment",
  );
  const values = Object.values(seen).join("\n");
  assert.ok(!values.includes(app.sandbox.token), "the kubeconfig's token is in the CLI's environment");
  assert.ok(!values.includes(kubeconfig.trim().split("\n").slice(0, 3).join("\n")), "the kubeconfig's content is");
  // The kubeconfig is a file the CLI was pointed at, removed when the action ended.
  assert.ok(seen.KUBECONFIG?.startsWith(work), seen.KUBECONFIG);
  assert.ok(!existsSync(seen.KUBECONFIG));
  assert.equal(seen.GRAYCTL_ACTION_BUNDLE, "1", "the committed bundle ran");
  assert.ok(!existsSync(join(work, "installs.log")), "npm or npx was called");
  await writeFile(app.configPath, CONFIG);
});
