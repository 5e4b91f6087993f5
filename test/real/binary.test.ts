// grayctl's single binary (Node's single-executable application, decision 040)
// on a machine path with no Node: `env -i`-style, PATH points nowhere, so
// neither `node` nor anything else can be found. It answers --version, reads a
// rollout's status and rolls a live rollout back, against the sandbox's API.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { R } from "../../sandbox/resources.ts";
import { ensureBinary } from "../helpers/binary.ts";
import { demoImage, eventually, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8"));
const CONFIG = `app: cart
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: cart.local
rollout:
  steps: [10, 50, 100]
  interval: 3s
  readyTimeout: 10s
  progressDeadline: 2m
  leaseDuration: 4s
`;
const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";

let app: SandboxApp;
let binary: string;
before(async () => {
  binary = ensureBinary();
  app = await startSandboxApp(CONFIG);
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
});
after(async () => {
  await app?.stop();
});

/** The binary with nothing of this machine's environment: no PATH to a Node, HOME in the app's folder. */
async function runBinary(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: "/nonexistent", HOME: app.dir, GRAYCTL_ACTOR: "oncall-bob" };
  const fullArgs = ["--kubeconfig", app.sandbox.kubeconfigPath, "--config", app.configPath, ...args];
  try {
    const { stdout, stderr } = await promisify(execFile)(binary, fullArgs, { env, cwd: app.dir, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout: string; stderr: string };
    if (typeof failed.code !== "number") throw error;
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

test("--version with no Node on PATH: the package's version", async () => {
  const result = await runBinary(["--version"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), pkg.version);
});

test("status with no Node on PATH: the deployed release, as JSON", async () => {
  const result = await runBinary(["status", "-o", "json"]);
  assert.equal(result.code, 0, result.stderr);
  const events = result.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  const status = events.find((event) => event.type === "status");
  assert.equal(status?.app, "cart");
  assert.equal(status?.phase, "deployed");
  assert.equal(status?.stable.image, demoImage("v1"));
  assert.equal(status?.stable.ready, 2);
});

test("rollback --force with no Node on PATH: takes a live rollout over, traffic back on stable", async () => {
  const rollout = app.spawn(["rollout", "--image", demoImage("v2"), "-o", "json"]);
  await eventually("the rollout at its first step", () => app.state()?.weight === 10, 60_000);
  const result = await runBinary(["rollback", "--force", "--reason", "pager", "-o", "json"]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const last = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "{}");
  assert.equal(last.outcome, "rolled-back");
  const first = await rollout.done;
  assert.equal(first.code, 3, first.stderr);
  const canary = app.sandbox.store.get(R.ingresses, app.namespace, "cart-canary");
  assert.equal(canary?.metadata.annotations?.[WEIGHT], "0");
  assert.equal(app.history().at(-1)?.actor, "oncall-bob");
});

test("init --ci github with no package folder: the templates come from the binary's assets", async () => {
  const dir = await mkdtemp(join(tmpdir(), "grayctl-binary-init-"));
  try {
    const { stdout } = await promisify(execFile)(binary, ["init", "--ci", "github", "--app", "shop"], {
      env: { PATH: "/nonexistent", HOME: dir },
      cwd: dir,
    });
    assert.match(stdout, /wrote \.github\/workflows\/grayctl\.yml and grayctl-rbac\.yaml/);
    assert.match(
      await readFile(join(dir, "grayctl-rbac.yaml"), "utf8"),
      /resourceNames: \["shop-grayctl", "shop-grayctl-release"\]/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
