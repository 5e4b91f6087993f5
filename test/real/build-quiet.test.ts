// `IMAGE=$(grayctl build -q)`: the README promises that -q prints the image
// reference and nothing else, on the real Docker Engine and registry, from a
// pipe and from a terminal whose stdout is captured.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { runCli } from "../helpers/cli.ts";
import { gitTestEnv, type TempRepo, tempRepo } from "../helpers/git-repo.ts";
import { runOnTerminal } from "../helpers/pseudo-terminal.ts";
import { requireDockerEngine, requireRegistry } from "../helpers/real-parts.ts";

const repository = `localhost:5000/grayctl-test/quiet-${randomBytes(4).toString("hex")}`;
const reference = new RegExp(`^${repository}:[0-9a-f]{40}@sha256:[0-9a-f]{64}\\n$`);
let repo: TempRepo;

before(async () => {
  await requireDockerEngine();
  await requireRegistry("127.0.0.1:5000");
  repo = await tempRepo("grayctl-build-quiet-");
  await repo.write("Dockerfile", "FROM scratch\nCOPY hello.txt /hello.txt\n");
  await repo.write(".dockerignore", ".git\n");
  await repo.write("hello.txt", "quiet\n");
  await repo.write("grayctl.yaml", `app: quiet\nimage:\n  repository: ${repository}\n  context: .\n`);
  await repo.commitAll("first");
});
after(async () => {
  await repo?.remove();
});

const env = () => ({ ...gitTestEnv, DOCKER_HOST: process.env.DOCKER_HOST });

test("build -q prints only repo:tag@sha256:… on stdout, whether it built or reused the image", async () => {
  const built = await runCli(["build", "-q"], { cwd: repo.dir, timeoutMs: 120_000, env: env() });
  assert.equal(built.code, 0, built.stderr);
  assert.match(built.stdout, reference);
  const reused = await runCli(["build", "-q"], { cwd: repo.dir, timeoutMs: 120_000, env: env() });
  assert.equal(reused.code, 0, reused.stderr);
  assert.equal(reused.stdout, built.stdout);
});

test("IMAGE=$(grayctl build -q) on a terminal: stdout holds the reference alone, no mark, no colour", async () => {
  const out = join(await mkdtemp(join(tmpdir(), "grayctl-build-quiet-out-")), "stdout");
  const run = await runOnTerminal(["build", "-q"], { cwd: repo.dir, timeoutMs: 120_000, env: env(), stdoutTo: out });
  assert.equal(run.code, 0, run.stdout);
  assert.match(await readFile(out, "utf8"), reference);
});
