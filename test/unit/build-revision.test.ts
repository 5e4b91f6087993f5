// Revision and dirty detection against real git in temp repositories.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { createGit } from "../../src/build/git.ts";
import { resolveRevision } from "../../src/build/revision.ts";
import { gitTestEnv, type TempRepo, tempRepo } from "../helpers/git-repo.ts";
import { RecordingReporter } from "../helpers/recording-reporter.ts";

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()));
});

async function repoWithService(): Promise<TempRepo> {
  const repo = await tempRepo();
  cleanups.push(repo.remove);
  await repo.write("svc/Dockerfile", "FROM scratch\n");
  await repo.write("other/file.txt", "x\n");
  await repo.commitAll("first");
  return repo;
}

function resolve(context: string, tag: "commit" | "abbrev-commit" | "tree" = "commit", env = gitTestEnv) {
  const reporter = new RecordingReporter();
  const git = createGit({ cwd: context, env, timeoutMs: 10_000 });
  return { reporter, revision: resolveRevision({ context, tag }, git, env, reporter) };
}

describe("resolveRevision", () => {
  test("clean repo: commit, abbrev and the context's tree sha", async () => {
    const repo = await repoWithService();
    const { revision } = resolve(join(repo.dir, "svc"), "tree");
    const resolved = await revision;
    assert.equal(resolved.commit, await repo.git("rev-parse", "HEAD"));
    assert.equal(resolved.abbrev, await repo.git("rev-parse", "--short", "HEAD"));
    assert.equal(resolved.tree, await repo.git("rev-parse", "HEAD:svc"));
    assert.equal(resolved.dirty, false);
  });

  test("modified, staged and untracked files under the context make it dirty; others do not", async () => {
    const repo = await repoWithService();
    await repo.write("other/file.txt", "changed outside the context\n");
    assert.equal((await resolve(join(repo.dir, "svc")).revision).dirty, false);

    await repo.write("svc/Dockerfile", "FROM scratch\nCOPY a /a\n");
    await repo.write("svc/new dir/untracked.txt", "new\n");
    await repo.write("svc/staged.txt", "staged\n");
    await repo.git("add", "svc/staged.txt");
    const resolved = await resolve(join(repo.dir, "svc")).revision;
    assert.equal(resolved.dirty, true);
    assert.deepEqual([...resolved.changedPaths].sort(), [
      "svc/Dockerfile",
      "svc/new dir/untracked.txt",
      "svc/staged.txt",
    ]);
  });

  test("detached HEAD is fine and says so in debug", async () => {
    const repo = await repoWithService();
    await repo.git("checkout", "--quiet", "--detach", "HEAD");
    const { reporter, revision } = resolve(repo.dir);
    assert.equal((await revision).commit, await repo.git("rev-parse", "HEAD"));
    assert.ok(reporter.of("debug").some((call) => /detached HEAD/.test(String(call.args[0]))));
  });

  test("a repository without commits: a clear error saying to commit first", async () => {
    const repo = await tempRepo();
    cleanups.push(repo.remove);
    await assert.rejects(resolve(repo.dir).revision, (error: Error & { exitCode: number; hint: string }) => {
      assert.equal(error.exitCode, 2);
      assert.match(error.message, /has no commits yet/);
      assert.match(error.hint, /git commit/);
      return true;
    });
  });

  test("not a git repository: a clear error, or CI's GITHUB_SHA / CI_COMMIT_SHA", async () => {
    const dir = await mkdtemp(join(tmpdir(), "grayctl-nogit-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const env = { ...gitTestEnv, GIT_CEILING_DIRECTORIES: tmpdir() };
    await assert.rejects(resolve(dir, "commit", env).revision, (error: Error & { exitCode: number; hint: string }) => {
      assert.equal(error.exitCode, 2);
      assert.match(error.message, /is not inside a git repository/);
      assert.match(error.hint, /GITHUB_SHA/);
      return true;
    });
    const sha = "a".repeat(40);
    const fromCi = await resolve(dir, "commit", { ...env, CI_COMMIT_SHA: sha }).revision;
    assert.equal(fromCi.commit, sha);
    assert.equal(fromCi.source, "CI_COMMIT_SHA");
    await assert.rejects(resolve(dir, "tree", { ...env, GITHUB_SHA: sha }).revision, /tree needs a git checkout/);
  });
});
