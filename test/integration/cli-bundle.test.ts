// The bundle the package ships (scripts/bundle.mjs → dist/bundle/), run through
// bin/grayctl.js as a user runs it: the same answers as the unbundled build the
// other suites run, and nothing loaded from node_modules.
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { BIN, runCli } from "../helpers/cli.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** runCli drops variables set to undefined: without GRAYCTL_UNBUNDLED the launcher runs the bundle. */
const BUNDLED: Record<string, string | undefined> = { GRAYCTL_UNBUNDLED: undefined };
const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));

let app: SandboxApp;
let dir: string;
before(async () => {
  // Built here, from the sources as they are now, so this test never runs a stale bundle.
  const bundle = spawnSync(process.execPath, [join(ROOT, "scripts/bundle.mjs")], { encoding: "utf8" });
  assert.equal(bundle.status, 0, bundle.stderr);
  dir = await mkdtemp(join(tmpdir(), "grayctl-bundle-"));
  app = await startSandboxApp(`app: shop
deployment:
  replicas: 2
traffic:
  router: nginx
  host: shop.local
`);
  // The rollout engine's chunks, from the bundle.
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")], { env: BUNDLED as Record<string, string> });
  assert.equal(first.code, 0, first.stderr);
});
after(async () => {
  await app?.stop();
  await rm(dir, { recursive: true, force: true });
});

test("--version and --help answer from the bundle as from the sources", async () => {
  const version = await runCli(["--version"], { env: BUNDLED });
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout.trim(), pkg.version);
  const [bundled, unbundled] = await Promise.all([runCli(["--help"], { env: BUNDLED }), runCli(["--help"])]);
  assert.equal(bundled.code, 0, bundled.stderr);
  assert.equal(bundled.stdout, unbundled.stdout);
  assert.match(bundled.stdout, /^ {2}rollback\b/m);
});

test("status gives the same JSON from the bundle as from the sources", async () => {
  const status = async (env: Record<string, string | undefined>) => {
    const result = await app.grayctl(["status", "-o", "json"], { env: env as Record<string, string> });
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    // Only the clock differs between two runs.
    return JSON.parse(
      JSON.stringify(lines, (key, value) =>
        ["time", "sinceSeconds", "ageSeconds", "renewedAt", "message"].includes(key) ? "…" : value,
      ),
    );
  };
  const bundled = await status(BUNDLED);
  assert.equal(bundled[0].type, "status");
  assert.equal(bundled[0].phase, "deployed");
  assert.deepEqual(bundled, await status({}));
});

test("status loads nothing from node_modules: the bundle carries its dependencies", async () => {
  const trace = join(dir, "imports.txt");
  const hook = fileURLToPath(new URL("../helpers/trace-imports.mjs", import.meta.url));
  const args = ["--kubeconfig", app.sandbox.kubeconfigPath, "--config", app.configPath, "status"];
  // Not spawnSync: the sandbox answers from this process's event loop.
  await promisify(execFile)(process.execPath, ["--import", hook, BIN, ...args], {
    env: { ...process.env, GRAYCTL_UNBUNDLED: "", TRACE_IMPORTS_FILE: trace },
  });
  const loaded = (await readFile(trace, "utf8")).split("\n").filter((url) => url.startsWith("file:"));
  assert.ok(
    loaded.some((url) => url.includes("/dist/bundle/chunks/")),
    "the trace hook saw the bundle's chunks",
  );
  assert.deepEqual(
    loaded.filter((url) => url.includes("/node_modules/") || url.includes("/dist/cli/")),
    [],
  );
});

test("init finds the template next to the bundle", async () => {
  const result = await runCli(["init", "--app", "checkout", "--router", "nginx"], { cwd: dir, env: BUNDLED });
  assert.equal(result.code, 0, result.stderr);
  assert.match(await readFile(join(dir, "grayctl.yaml"), "utf8"), /^app: checkout/m);
});

test("build loads its chunk (dockerode, ssh2) from the bundle and fails as the sources do", async () => {
  // Uncommitted changes with `dirty: suffix`: no registry to ask, so build loads
  // dockerode and stops at the Docker Engine, which is not there.
  const repo = await mkdtemp(join(dir, "repo-"));
  const git = (...args: string[]) => spawnSync("git", ["-C", repo, ...args]);
  await writeFile(join(repo, "grayctl.yaml"), "app: x\nimage:\n  repository: localhost:5999/x\n  dirty: suffix\n");
  git("init", "-q");
  git("add", "-A");
  git("-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qm", "first");
  await writeFile(join(repo, "Dockerfile"), "FROM scratch\n");
  const build = async (env: Record<string, string | undefined>) => {
    const result = await runCli(["build"], { cwd: repo, env: { ...env, DOCKER_HOST: "unix:///nonexistent.sock" } });
    return { code: result.code, stderr: result.stderr.replace(/^\S+Z /gm, "") };
  };
  const bundled = await build(BUNDLED);
  assert.doesNotMatch(bundled.stderr, /internal error/);
  assert.match(bundled.stderr, /Docker/);
  assert.deepEqual(bundled, await build({}));
});

/** The Node binaries the devDependencies node-20 and node-22-oldest carry (npm packages, as node@24 is). */
const oldNode = (name: string) => join(ROOT, "node_modules", name, "bin", "node");
const runOn = (node: string, args: string[]) =>
  promisify(execFile)(node, [BIN, "--kubeconfig", app.sandbox.kubeconfigPath, "--config", app.configPath, ...args], {
    env: { ...process.env, GRAYCTL_UNBUNDLED: "", NO_COLOR: "1" },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error) => ({ code: error.code as number, stdout: error.stdout as string, stderr: error.stderr as string }),
  );

test("the package claims the Node 22 its HTTP client needs, and npm scripts run on node@24", async () => {
  // undici (the Kubernetes client's HTTP client, bundled) states its own minimum.
  const undici = JSON.parse(await readFile(join(ROOT, "node_modules/undici/package.json"), "utf8"));
  assert.equal(pkg.engines.node, undici.engines.node);
  const claimed = pkg.engines.node.replace(/^>=/, "");
  assert.equal(spawnSync(oldNode("node-22-oldest"), ["-v"], { encoding: "utf8" }).stdout.trim(), `v${claimed}`);
  // The aliases declare a `node` bin too; npm links the one that sorts first (node@24).
  assert.match(spawnSync(join(ROOT, "node_modules/.bin/node"), ["-v"], { encoding: "utf8" }).stdout, /^v24\./);
});

test("on Node 20 the launcher exits 2 naming the Node it found and the one needed, before loading anything", async () => {
  for (const command of ["status", "rollback"]) {
    const result = await runOn(oldNode("node-20"), [command]);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stdout, "");
    assert.match(
      result.stderr,
      /this is Node\.js 20\.\d+\.\d+ \(.*node-20\/bin\/node\); grayctl needs Node\.js 22\.19\.0 or newer/,
    );
    assert.match(
      result.stderr,
      /single binary, which carries its own Node:\ndist\/bin\/grayctl-linux-x64, built from a clone with `npm run build:binary`/,
    );
    assert.doesNotMatch(result.stderr, /internal error|bind/);
  }
});

test("on the oldest Node 22 the package claims, status and rollback answer as on Node 24", async () => {
  const claimed = oldNode("node-22-oldest");
  const strip = (r: { code: number; stdout: string; stderr: string }) => ({
    code: r.code,
    stdout: r.stdout.replace(/\d+s\b/g, "…"),
    stderr: r.stderr.replace(/^\S+Z /gm, ""),
  });
  const status = await runOn(claimed, ["status"]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /deployed/);
  assert.deepEqual(strip(status), strip(await runOn(process.execPath, ["status"])));
  // Only revision 1 is recorded: rollback reads the cluster and says there is nothing before it.
  const rollback = await runOn(claimed, ["rollback"]);
  assert.doesNotMatch(rollback.stderr, /internal error/);
  assert.deepEqual(strip(rollback), strip(await runOn(process.execPath, ["rollback"])));
});
