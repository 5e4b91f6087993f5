// `grayctl build` on the real Docker Engine and registry, in GitHub Actions and
// in GitLab CI: the build's and the push's log lines are folded (::group:: /
// collapsed sections), and the outputs name the pushed image by digest.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { dotenv, githubOutputs } from "../helpers/ci-files.ts";
import { runCli } from "../helpers/cli.ts";
import { gitTestEnv, type TempRepo, tempRepo } from "../helpers/git-repo.ts";
import { requireDockerEngine, requireRegistry } from "../helpers/real-parts.ts";

const repository = `localhost:5000/grayctl-test/ci-logs-${randomBytes(4).toString("hex")}`;
let repo: TempRepo;

before(async () => {
  await requireDockerEngine();
  await requireRegistry("127.0.0.1:5000");
  repo = await tempRepo("grayctl-ci-logs-");
  await repo.write("Dockerfile", "FROM scratch\nCOPY hello.txt /hello.txt\n");
  await repo.write(".dockerignore", ".git\n");
  await repo.write("grayctl.yaml", `app: logs\nimage:\n  repository: ${repository}\n  context: .\n`);
});
after(async () => {
  await repo?.remove();
});

const build = (env: Record<string, string>) =>
  runCli(["build", "--verbose"], {
    cwd: repo.dir,
    timeoutMs: 120_000,
    env: { ...gitTestEnv, DOCKER_HOST: process.env.DOCKER_HOST, ...env },
  });

/** The lines from a fold's opening marker to its closing one, inclusive. */
function fold(lines: string[], open: RegExp, close: RegExp): string[] {
  const start = lines.findIndex((line) => open.test(line));
  assert.notEqual(start, -1, `no line matching ${open}:\n${lines.join("\n")}`);
  const end = lines.findIndex((line, index) => index > start && close.test(line));
  assert.notEqual(end, -1, `no closing ${close} after ${open}`);
  return lines.slice(start, end + 1);
}

test("GitHub Actions: build and push each in a ::group::, the build's steps inside; outputs built, image, digest", async () => {
  await repo.write("hello.txt", "github\n");
  await repo.commitAll("github");
  // The runner's files live outside the checkout.
  const output = join(await mkdtemp(join(tmpdir(), "grayctl-ci-logs-output-")), "output");
  await writeFile(output, "");
  const result = await build({ GITHUB_ACTIONS: "true", GITHUB_OUTPUT: output });
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stderr.split("\n");
  const building = fold(lines, new RegExp(`^::group::Building ${repository}:`), /^::endgroup::$/);
  assert.ok(
    building.some((line) => /Step 1\/\d+ : FROM scratch/.test(line)),
    building.join("\n"),
  );
  const pushing = fold(lines, new RegExp(`^::group::Pushing ${repository}:`), /^::endgroup::$/);
  assert.ok(pushing.length >= 3, pushing.join("\n"));
  const outputs = githubOutputs(output);
  assert.equal(outputs.outcome, "built");
  assert.match(outputs.digest, /^sha256:[0-9a-f]{64}$/);
  assert.equal(outputs.image, `${repository}:${(await repo.git("rev-parse", "HEAD")).trim()}@${outputs.digest}`);
});

test("GitLab CI: build and push each in a collapsed section; the dotenv report names the image", async () => {
  await repo.write("hello.txt", "gitlab\n");
  await repo.commitAll("gitlab");
  const result = await build({ GITLAB_CI: "true" });
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stderr.split("\n");
  // GitLab's markers: ESC[0K section_start:TIME:NAME[collapsed=true] CR ESC[0K header, and section_end alike.
  const start = (name: string, header: string) =>
    new RegExp(`^\\u001b\\[0Ksection_start:\\d+:${name}\\[collapsed=true\\]\\r\\u001b\\[0K${header}`);
  const end = (name: string) => new RegExp(`^\\u001b\\[0Ksection_end:\\d+:${name}\\r\\u001b\\[0K$`);
  const building = fold(lines, start("grayctl_build_1", `Building ${repository}:`), end("grayctl_build_1"));
  assert.ok(building.some((line) => /Step 1\/\d+ : FROM scratch/.test(line)));
  fold(lines, start("grayctl_push_2", "Pushing "), end("grayctl_push_2"));
  const report = dotenv(join(repo.dir, "grayctl.env"));
  assert.equal(report.GRAYCTL_OUTCOME, "built");
  assert.match(report.GRAYCTL_IMAGE, new RegExp(`^${repository}:[0-9a-f]{40}@sha256:[0-9a-f]{64}$`));
  assert.equal(report.GRAYCTL_IMAGE.split("@")[1], report.GRAYCTL_DIGEST);
});

test("GitLab CI: the reports of an earlier command neither dirty the tree nor enter the next build's context", async () => {
  const files = (stderr: string) => /build context: (\d+) files/.exec(stderr)?.[1];
  assert.match(await readFile(join(repo.dir, "grayctl-summary.md"), "utf8"), /grayctl: built/);
  await repo.write("hello.txt", "gitlab again\n");
  await repo.commitAll("again");
  const result = await build({ GITLAB_CI: "true" });
  assert.equal(result.code, 0, result.stderr);
  // Dockerfile, .dockerignore, grayctl.yaml, hello.txt: not the reports.
  assert.equal(files(result.stderr), "4", result.stderr);
});
