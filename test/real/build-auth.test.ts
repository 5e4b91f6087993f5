// grayctl build against a registry with htpasswd basic auth, started by this test
// on 127.0.0.1:5001 from a temp config and stopped by its PID.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { buildOrReuseImage } from "../../src/build/index.ts";
import type { ImageSettings } from "../../src/build/settings.ts";
import { gitTestEnv, type TempRepo, tempRepo } from "../helpers/git-repo.ts";
import { RecordingReporter } from "../helpers/recording-reporter.ts";
import { realPartsScript, registryDigest, requireDockerEngine } from "../helpers/real-parts.ts";

const address = "127.0.0.1:5001";
const username = "ci-robot";
const password = `pw-${randomBytes(12).toString("hex")}`;
const basic = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
const runId = randomBytes(4).toString("hex");

describe("grayctl build with a basic-auth registry", () => {
  let workDir: string;
  let registry: ChildProcess | undefined;
  let registryLog = "";
  const repos: TempRepo[] = [];

  before(async () => {
    await requireDockerEngine();
    workDir = await mkdtemp(join(tmpdir(), "grayctl-auth-registry-"));
    const htpasswd = await execa("htpasswd", ["-Bbn", username, password], { reject: false });
    if (htpasswd.exitCode !== 0) {
      throw new Error(`htpasswd (apache2-utils) is needed for this test: run \`sudo ${realPartsScript}\``);
    }
    await writeFile(join(workDir, "htpasswd"), htpasswd.stdout);
    await writeFile(
      join(workDir, "config.yml"),
      [
        "version: 0.1",
        "log: { level: warn }",
        `storage: { filesystem: { rootdirectory: ${join(workDir, "data")} } }`,
        `http: { addr: "${address}" }`,
        `auth: { htpasswd: { realm: grayctl-test, path: ${join(workDir, "htpasswd")} } }`,
        "",
      ].join("\n"),
    );
    try {
      registry = spawn("docker-registry", ["serve", join(workDir, "config.yml")], {
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      throw new Error(`docker-registry not startable (${(error as Error).message}): run \`sudo ${realPartsScript}\``);
    }
    registry.stdout?.on("data", (chunk) => (registryLog += chunk));
    registry.stderr?.on("data", (chunk) => (registryLog += chunk));
    const spawnError = new Promise<never>((_, reject) =>
      registry?.on("error", (error) =>
        reject(new Error(`docker-registry: ${error.message}; run \`sudo ${realPartsScript}\``)),
      ),
    );
    // The registry is up when /v2/ answers 401; give it 10 s.
    const deadline = Date.now() + 10_000;
    const ready = (async () => {
      while (Date.now() < deadline) {
        const status = await fetch(`http://${address}/v2/`).then(
          (response) => response.status,
          () => 0,
        );
        if (status === 401) return;
        await sleep(100);
      }
      throw new Error(`auth registry did not come up on ${address} within 10 s:\n${registryLog}`);
    })();
    await Promise.race([ready, spawnError]);
  });

  after(async () => {
    if (registry?.pid) registry.kill("SIGTERM");
    await Promise.all(repos.map((repo) => repo.remove()));
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  async function committedRepo(): Promise<TempRepo> {
    const repo = await tempRepo();
    repos.push(repo);
    await repo.write("Dockerfile", "FROM scratch\nCOPY hello.txt /hello.txt\n");
    await repo.write("hello.txt", `hello ${randomBytes(4).toString("hex")}\n`);
    await repo.commitAll("first");
    return repo;
  }

  const settingsFor = (repo: TempRepo, name: string): ImageSettings => ({
    repository: `localhost:5001/grayctl-test/${name}-${runId}`,
    context: repo.dir,
    dockerfile: "Dockerfile",
    tag: "commit",
    dirty: "refuse",
    buildArgs: {},
    labels: {},
  });

  async function dockerConfig(name: string, config: unknown): Promise<string> {
    const dir = join(workDir, name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "config.json"), JSON.stringify(config));
    return dir;
  }

  function assertNoSecret(reporter: RecordingReporter) {
    assert.ok(!reporter.text().includes(password), "the password reached the reporter");
    assert.ok(reporter.redacted.includes(password), "the password was registered for redaction");
  }

  test("without credentials: a clear error naming docker login, exit code 2", async () => {
    const repo = await committedRepo();
    const reporter = new RecordingReporter();
    const env = { ...gitTestEnv, DOCKER_CONFIG: await dockerConfig("empty", {}) };
    await assert.rejects(
      buildOrReuseImage(settingsFor(repo, "anonymous"), { cwd: repo.dir, env, reporter, homeDir: "/nonexistent" }),
      (error: Error & { exitCode: number; hint?: string }) => {
        assert.equal(error.exitCode, 2);
        assert.match(error.message, /localhost:5001 requires credentials/);
        assert.match(error.hint ?? "", /docker login localhost:5001/);
        return true;
      },
    );
  });

  test("credentials from config.json auths: builds, pushes, and the registry has the digest", async () => {
    const repo = await committedRepo();
    const reporter = new RecordingReporter();
    const auth = Buffer.from(`${username}:${password}`).toString("base64");
    const env = {
      ...gitTestEnv,
      DOCKER_CONFIG: await dockerConfig("auths", { auths: { "localhost:5001": { auth } } }),
    };
    const settings = settingsFor(repo, "auths");
    const result = await buildOrReuseImage(settings, { cwd: repo.dir, env, reporter, homeDir: "/nonexistent" });
    assert.equal(result.built, true);
    assert.equal(result.pushed, true);
    const name = settings.repository.slice("localhost:5001/".length);
    assert.equal(await registryDigest(address, name, result.tag, basic), result.digest);
    assertNoSecret(reporter);
    assert.ok(!reporter.text().includes(auth), "the base64 auth reached the reporter");

    const again = new RecordingReporter();
    const reused = await buildOrReuseImage(settings, { cwd: repo.dir, env, reporter: again, homeDir: "/nonexistent" });
    assert.equal(reused.built, false);
    assert.equal(reused.digest, result.digest);
    assertNoSecret(again);
  });

  test("credentials from a docker-credential helper on PATH", async () => {
    const repo = await committedRepo();
    const binDir = join(workDir, "bin");
    await mkdir(binDir, { recursive: true });
    const helper = join(binDir, "docker-credential-grayctl-test");
    // A stub helper speaking the docker-credential protocol: server URL on stdin, JSON out.
    await writeFile(
      helper,
      [
        "#!/bin/sh",
        '[ "$1" = get ] || exit 1',
        "read -r server",
        `if [ "$server" = localhost:5001 ]; then`,
        `  printf '{"ServerURL":"%s","Username":"${username}","Secret":"${password}"}\\n' "$server"`,
        "else echo 'credentials not found in native keychain'; exit 1; fi",
        "",
      ].join("\n"),
    );
    await chmod(helper, 0o755);
    const reporter = new RecordingReporter();
    const env = {
      ...gitTestEnv,
      PATH: `${binDir}:${gitTestEnv.PATH}`,
      DOCKER_CONFIG: await dockerConfig("helper", { credHelpers: { "localhost:5001": "grayctl-test" } }),
    };
    const settings = settingsFor(repo, "helper");
    const result = await buildOrReuseImage(settings, { cwd: repo.dir, env, reporter, homeDir: "/nonexistent" });
    assert.equal(result.pushed, true);
    const name = settings.repository.slice("localhost:5001/".length);
    assert.equal(await registryDigest(address, name, result.tag, basic), result.digest);
    assertNoSecret(reporter);
  });

  test("a wrong password is rejected with a clear message and never printed", async () => {
    const repo = await committedRepo();
    const reporter = new RecordingReporter();
    const wrong = `wrong-${randomBytes(8).toString("hex")}`;
    const env = { ...gitTestEnv, GRAYCTL_REGISTRY_USERNAME: username, GRAYCTL_REGISTRY_PASSWORD: wrong };
    await assert.rejects(
      buildOrReuseImage(settingsFor(repo, "wrong"), { cwd: repo.dir, env, reporter, homeDir: "/nonexistent" }),
      (error: Error) => {
        assert.match(error.message, /rejected the credentials/);
        assert.ok(!error.message.includes(wrong));
        return true;
      },
    );
    assert.ok(!reporter.text().includes(wrong));
  });
});
