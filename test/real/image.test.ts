// grayctl's own image (Dockerfile, npm run image; decision 040), built with
// grayctl's build code on a base made from Debian's packages (no image can be
// pulled here; production keeps the distroless default), pushed to the real
// registry, and run by Docker: the printed digest is the registry's, and the
// binary inside answers --version and reads a rollout's status from the sandbox.
// One build: the engine's vfs storage copies the 128 MiB binary per layer.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ensureBinary } from "../helpers/binary.ts";
import { registryDigest, requireDockerEngine, requireRegistry } from "../helpers/real-parts.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);
const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
const BASE = "local/cc-base:bookworm";

let registry: string;
let name: string;
let printed: string;
let app: SandboxApp;
before(async () => {
  await requireDockerEngine();
  registry = await requireRegistry();
  ensureBinary();
  await run("bash", [join(ROOT, "scripts/local-base-image.sh"), BASE]);
  name = `grayctl-test/grayctl-image-${process.pid}`;
  const image = await run(
    process.execPath,
    [join(ROOT, "scripts/image.ts"), "--push", `${registry}/${name}`, "--base", BASE, "--no-build"],
    { cwd: ROOT, timeout: 240_000 },
  );
  printed = image.stdout.trim();
  app = await startSandboxApp(`app: cart
deployment:
  replicas: 2
traffic:
  router: nginx
  host: cart.local
`);
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
});
after(async () => {
  await app?.stop();
  if (name) await run("docker", ["rmi", "-f", `${registry}/${name}:${pkg.version}`]).catch(() => {});
});

test("npm run image -- --push REPO prints REPO:VERSION@sha256:… with the digest the registry stored", async () => {
  const match = /^(?<repo>\S+):(?<version>[^:@\s]+)@(?<digest>sha256:[0-9a-f]{64})$/.exec(printed);
  assert.ok(match?.groups, `printed: ${printed}`);
  assert.equal(match.groups.repo, `${registry}/${name}`);
  assert.equal(match.groups.version, pkg.version);
  assert.equal(await registryDigest(registry, name, pkg.version), match.groups.digest);
});

test("the image runs the binary as a non-root user: --version", async () => {
  const { stdout } = await run("docker", ["run", "--rm", "--network", "host", printed, "--version"]);
  assert.equal(stdout.trim(), pkg.version);
  const inspect = await run("docker", [
    "image",
    "inspect",
    "--format",
    "{{.Config.User}} {{json .Config.Entrypoint}}",
    printed,
  ]);
  assert.equal(inspect.stdout.trim(), '65532:65532 ["/usr/local/bin/grayctl"]');
});

test("the image reads a rollout's status from the sandbox (host network, the app's files mounted)", async () => {
  // The image's user (65532) reads the test's folder: mkdtemp makes it the owner's alone.
  await chmod(app.dir, 0o755);
  for (const file of await readdir(app.dir)) await chmod(join(app.dir, file), 0o644).catch(() => {});
  const { stdout } = await run("docker", [
    "run",
    "--rm",
    "--network",
    "host",
    "-v",
    `${app.dir}:${app.dir}:ro`,
    printed,
    "--kubeconfig",
    app.sandbox.kubeconfigPath,
    "--config",
    app.configPath,
    "status",
    "-o",
    "json",
  ]);
  const status = stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line))
    .find((event) => event.type === "status");
  assert.equal(status?.app, "cart");
  assert.equal(status?.phase, "deployed");
  assert.equal(status?.stable.image, demoImage("v1"));
});
