// grayctl build against the real Docker Engine and the loopback registry (127.0.0.1:5000).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type Dockerode from "dockerode";
import { buildOrReuseImage } from "../../src/build/index.ts";
import { buildCommand } from "../../src/cli/commands/build.ts";
import type { ImageSettings } from "../../src/build/settings.ts";
import { gitTestEnv, type TempRepo, tempRepo } from "../helpers/git-repo.ts";
import { RecordingReporter } from "../helpers/recording-reporter.ts";
import { registryDigest, requireDockerEngine, requireRegistry } from "../helpers/real-parts.ts";

const registry = "127.0.0.1:5000";
const runId = randomBytes(4).toString("hex");

function settingsFor(repo: TempRepo, name: string, overrides: Partial<ImageSettings> = {}): ImageSettings {
  return {
    repository: `localhost:5000/grayctl-test/${name}-${runId}`,
    context: repo.dir,
    dockerfile: "Dockerfile",
    tag: "commit",
    dirty: "refuse",
    buildArgs: {},
    labels: {},
    ...overrides,
  };
}

const deps = (reporter: RecordingReporter) => ({
  cwd: "/",
  env: { ...gitTestEnv, DOCKER_HOST: process.env.DOCKER_HOST },
  reporter,
  homeDir: "/nonexistent",
});

describe("grayctl build (real engine and registry)", () => {
  let docker: Dockerode;
  const repos: TempRepo[] = [];
  const newRepo = async () => {
    const repo = await tempRepo();
    repos.push(repo);
    await repo.write("Dockerfile", "FROM scratch\nARG GREETING=none\nCOPY hello.txt /hello.txt\n");
    await repo.write("hello.txt", "hello\n");
    return repo;
  };

  before(async () => {
    docker = await requireDockerEngine();
    await requireRegistry(registry);
  });
  after(async () => {
    await Promise.all(repos.map((repo) => repo.remove()));
  });

  test("builds, pushes, and a second run on the same commit reuses the image in under 2 s", async () => {
    const repo = await newRepo();
    await repo.write(".dockerignore", "secret.txt\n");
    await repo.write("secret.txt", "must not be sent\n");
    await repo.git("remote", "add", "origin", "https://ci-user:s3cret-token@git.example.com/shop/checkout.git");
    const commit = await repo.commitAll("first");
    const settings = settingsFor(repo, "basic", { labels: { team: "payments" } });

    const reporter = new RecordingReporter();
    const first = await buildOrReuseImage(settings, deps(reporter));
    assert.equal(first.built, true);
    assert.equal(first.pushed, true);
    assert.equal(first.tag, commit);
    assert.match(first.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(first.image, `${settings.repository}:${commit}@${first.digest}`);
    assert.deepEqual(first.revision, { commit, tree: first.revision.tree, dirty: false });
    const name = settings.repository.slice("localhost:5000/".length);
    assert.equal(await registryDigest(registry, name, commit), first.digest);
    assert.ok(
      reporter.of("event").some((call) => call.args[0] === "build.step"),
      "build steps reported as events",
    );

    const inspect = await docker.getImage(`${settings.repository}:${commit}`).inspect();
    const labels = inspect.Config.Labels ?? {};
    assert.equal(labels["org.opencontainers.image.revision"], commit);
    assert.equal(labels["org.opencontainers.image.version"], commit);
    assert.equal(labels["org.opencontainers.image.source"], "https://git.example.com/shop/checkout.git");
    assert.equal(labels.team, "payments");
    assert.doesNotMatch(reporter.text(), /s3cret-token/);

    const second = new RecordingReporter();
    const started = performance.now();
    const reused = await buildOrReuseImage(settings, deps(second));
    const elapsedMs = performance.now() - started;
    console.log(`# reuse of an existing image took ${elapsedMs.toFixed(0)} ms`);
    assert.equal(reused.built, false);
    assert.equal(reused.pushed, false);
    assert.equal(reused.image, first.image);
    assert.equal(second.of("start").length, 0, "no build or push started");
    assert.ok(elapsedMs < 2000, `reuse took ${elapsedMs.toFixed(0)} ms`);
  });

  test(".dockerignore keeps files out of the context", async () => {
    const repo = await newRepo();
    await repo.write(".dockerignore", "secret.txt\n");
    await repo.write("secret.txt", "must not be sent\n");
    await repo.write("Dockerfile", "FROM scratch\nCOPY secret.txt /secret.txt\n");
    await repo.commitAll("copy an ignored file");
    await assert.rejects(
      buildOrReuseImage(settingsFor(repo, "ignored"), deps(new RecordingReporter())),
      (error: Error) => {
        assert.match(error.message, /Step 2\/\d+ : COPY secret\.txt/);
        assert.match(error.message, /file not found in build context or excluded by \.dockerignore/);
        return true;
      },
    );
  });

  test("a dirty tree is refused by default, naming the changed path", async () => {
    const repo = await newRepo();
    await repo.commitAll("first");
    await repo.write("hello.txt", "changed\n");
    await repo.write("new-file.txt", "untracked\n");
    await assert.rejects(
      buildOrReuseImage(settingsFor(repo, "dirty"), deps(new RecordingReporter())),
      (error: Error & { exitCode: number }) => {
        assert.equal(error.exitCode, 2);
        assert.match(error.message, /hello\.txt/);
        assert.match(error.message, /new-file\.txt/);
        assert.match(`${error.message} ${(error as { hint?: string }).hint}`, /dirty: suffix/);
        return true;
      },
    );
  });

  test("dirty: suffix builds a -dirty image", async () => {
    const repo = await newRepo();
    const commit = await repo.commitAll("first");
    await repo.write("hello.txt", "changed\n");
    const result = await buildOrReuseImage(
      settingsFor(repo, "dirty-suffix", { dirty: "suffix" }),
      deps(new RecordingReporter()),
    );
    assert.equal(result.tag, `${commit}-dirty`);
    assert.equal(result.built, true);
    assert.equal(result.revision.dirty, true);
  });

  test("a failing COPY reports the failing step and the engine's message", async () => {
    const repo = await newRepo();
    await repo.write("Dockerfile", "FROM scratch\nCOPY hello.txt /hello.txt\nCOPY missing.txt /missing.txt\n");
    await repo.commitAll("broken");
    const reporter = new RecordingReporter();
    await assert.rejects(
      buildOrReuseImage(settingsFor(repo, "broken-copy"), deps(reporter)),
      (error: Error & { step?: string }) => {
        assert.equal(error.name, "BuildFailedError");
        assert.match(error.step ?? "", /^Step 3\/\d+ : COPY missing\.txt \/missing\.txt$/);
        assert.match(error.message, /file not found in build context/);
        return true;
      },
    );
    assert.equal(reporter.of("build.fail").length, 1);
  });

  test("a failing RUN reports the step and the last lines of its output", async () => {
    const repo = await newRepo();
    await repo.write("Dockerfile", "FROM scratch\nCOPY hello.txt /hello.txt\nRUN /bin/does-not-exist --flag\n");
    await repo.commitAll("broken run");
    await assert.rejects(
      buildOrReuseImage(settingsFor(repo, "broken-run"), deps(new RecordingReporter())),
      (error: Error) => {
        assert.match(error.message, /Step 3\/\d+ : RUN \/bin\/does-not-exist --flag/);
        // scratch has no /bin/sh: the engine's reason and the step's output are both in the message.
        assert.match(error.message, /\/bin\/sh.*no such file/);
        assert.match(error.message, /last output ---\n.*Running in/s);
        return true;
      },
    );
  });

  test("tag: tree — a commit outside the context directory keeps the tag and is not rebuilt", async () => {
    const repo = await tempRepo();
    repos.push(repo);
    await repo.write("services/checkout/Dockerfile", "FROM scratch\nCOPY hello.txt /hello.txt\n");
    await repo.write("services/checkout/hello.txt", "hello\n");
    await repo.write("docs/README.md", "v1\n");
    await repo.commitAll("first");
    const settings = settingsFor(repo, "tree", { tag: "tree", context: `${repo.dir}/services/checkout` });
    const first = await buildOrReuseImage(settings, deps(new RecordingReporter()));
    assert.equal(first.tag, await repo.git("rev-parse", "HEAD:services/checkout"));
    assert.equal(first.built, true);

    await repo.write("docs/README.md", "v2\n");
    await repo.commitAll("docs only");
    const second = await buildOrReuseImage(settings, deps(new RecordingReporter()));
    assert.equal(second.tag, first.tag);
    assert.equal(second.built, false);
    assert.equal(second.digest, first.digest);
    assert.notEqual(second.revision.commit, first.revision.commit);

    await repo.write("services/checkout/hello.txt", "hello again\n");
    await repo.commitAll("service change");
    const third = await buildOrReuseImage(settings, deps(new RecordingReporter()));
    assert.notEqual(third.tag, first.tag);
    assert.equal(third.built, true);
  });

  test("buildCommand reports the outcome and the image by digest", async () => {
    const repo = await newRepo();
    await repo.commitAll("first");
    const settings = settingsFor(repo, "command");
    const env = { ...gitTestEnv };
    const built = new RecordingReporter();
    await buildCommand({ reporter: built, cwd: repo.dir, env, settings });
    const reused = new RecordingReporter();
    const result = await buildCommand({ reporter: reused, cwd: repo.dir, env, settings });
    const [first] = built.of("result");
    const [second] = reused.of("result");
    assert.equal(first.args[0], "built");
    assert.equal(second.args[0], "reused");
    assert.deepEqual(second.args[1], {
      image: result.image,
      tag: result.tag,
      digest: result.digest,
      built: false,
      pushed: false,
    });
  });

  test("no engine at DOCKER_HOST: a clear error naming DOCKER_HOST and how to start one", async () => {
    const repo = await newRepo();
    await repo.commitAll("first");
    const env = { ...gitTestEnv, DOCKER_HOST: "unix:///tmp/grayctl-no-such-engine.sock" };
    await assert.rejects(
      buildOrReuseImage(settingsFor(repo, "no-engine"), { cwd: repo.dir, env, reporter: new RecordingReporter() }),
      (error: Error & { hint?: string }) => {
        assert.match(
          error.message,
          /cannot reach the Docker Engine at DOCKER_HOST=unix:\/\/\/tmp\/grayctl-no-such-engine\.sock: ENOENT/,
        );
        assert.match(error.hint ?? "", /dockerd/);
        return true;
      },
    );
  });
});
