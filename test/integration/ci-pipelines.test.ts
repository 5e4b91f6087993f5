// What the project ships for CI, checked by the linters the CI systems publish
// (test/helpers/ci-linters.ts): the pipeline templates, the repository's own
// workflows, action.yml, and what `grayctl init --ci` writes. Plus the rules
// no linter checks: a secret never inside a `run:` script, the action given
// only inputs it declares, and init refusing to overwrite.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parse, parseAllDocuments } from "yaml";
import { runCli } from "../helpers/cli.ts";
import { actionErrors, actionUses, gitlabLint, runScripts, workflowErrors } from "../helpers/ci-linters.ts";

const ROOT = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), "utf8");
const GITHUB_TEMPLATE = "templates/ci/github-actions.yml";
const GITLAB_TEMPLATE = "templates/ci/gitlab-ci.yml";
const repoWorkflows = readdirSync(new URL(".github/workflows/", ROOT))
  .filter((name) => /\.ya?ml$/.test(name))
  .map((name) => `.github/workflows/${name}`);

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "grayctl-init-ci-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fresh directory with `grayctl init --ci …` run in it. */
async function initCi(args: string[]): Promise<{ cwd: string; code: number | null; stdout: string; stderr: string }> {
  const cwd = await mkdtemp(join(dir, "repo-"));
  const result = await runCli(["init", ...args], { cwd });
  return { cwd, ...result };
}

/** The secret rules for a GitHub workflow: no `${{ secrets.` in a run script; the kubeconfig only as the action's input. */
function assertSecretsStayOutOfShells(name: string, content: string, options: { noExpressionsInRun: boolean }) {
  for (const { where, script } of runScripts(content)) {
    assert.doesNotMatch(script, /\$\{\{\s*secrets\./, `${name} ${where}: a secret inside a run script`);
    if (options.noExpressionsInRun)
      assert.doesNotMatch(script, /\$\{\{/, `${name} ${where}: an expression spliced into a run script`);
  }
}

for (const path of [GITHUB_TEMPLATE, ...repoWorkflows]) {
  test(`${path} passes GitHub's workflow parser`, async () => {
    assert.deepEqual(await workflowErrors(path, read(path)), []);
  });
}

test("the workflow parser rejects a broken workflow (the check is live)", async () => {
  const broken = read(GITHUB_TEMPLATE)
    .replace("runs-on: ubuntu-latest", "runs-onn: ubuntu-latest")
    .replace("needs: rollout", "needs: rolout");
  const errors = await workflowErrors("broken.yml", broken);
  assert.ok(
    errors.some((error) => /runs-onn/.test(error)),
    errors.join("\n"),
  );
});

test("action.yml passes GitHub's action parser; a broken one does not", async () => {
  assert.ok(existsSync(new URL("action.yml", ROOT)), "action.yml at the repository root");
  const action = read("action.yml");
  assert.deepEqual(await actionErrors("action.yml", action), []);
  const broken = action.replace(/^ {2}main:/m, "  mian:");
  assert.notDeepEqual(await actionErrors("action.yml", broken), []);
});

test("the workflows give the grayctl action only inputs action.yml declares, the kubeconfig among them", () => {
  const declared = Object.keys((parse(read("action.yml")) as { inputs: Record<string, unknown> }).inputs);
  const uses = actionUses(read(GITHUB_TEMPLATE), "grayctl/grayctl");
  assert.deepEqual(
    uses.map((use) => use.where),
    ["jobs.rollout step rollout", "jobs.promote step promote", "jobs.rollback step rollback"],
  );
  for (const use of uses) {
    for (const input of Object.keys(use.with)) assert.ok(declared.includes(input), `${use.where}: input ${input}`);
    assert.equal(
      use.with.kubeconfig,
      "${{ secrets.KUBECONFIG }}",
      `${use.where}: the kubeconfig as the action's input`,
    );
  }
});

test("no secret and no expression inside a run script of the shipped workflows", () => {
  assertSecretsStayOutOfShells(GITHUB_TEMPLATE, read(GITHUB_TEMPLATE), { noExpressionsInRun: true });
  for (const path of repoWorkflows) assertSecretsStayOutOfShells(path, read(path), { noExpressionsInRun: false });
  // The check itself: the template this replaced wrote the secret with echo in a run script.
  const old = `on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          echo "\${{ secrets.KUBECONFIG }}" > ~/.kube/config\n`;
  assert.throws(() => assertSecretsStayOutOfShells("old", old, { noExpressionsInRun: false }), /a secret inside/);
});

test("the GitLab template passes GitLab's CI schema (gitlab-ci-local) with its three jobs; a broken one does not", async () => {
  const lint = await gitlabLint(read(GITLAB_TEMPLATE));
  assert.ok(lint.ok, lint.output);
  assert.match(lint.output, /json schema validated/);
  assert.deepEqual(lint.jobs, ["release", "promote", "rollback"], lint.output);
  const broken = await gitlabLint(read(GITLAB_TEMPLATE).replace("when: manual", "when: sometimes"));
  assert.equal(broken.ok, false, broken.output);
  assert.match(broken.output, /when/);
});

test("the GitLab template: Docker-in-Docker for the build, the kubeconfig as a File variable, never echoed", () => {
  const pipeline = parse(read(GITLAB_TEMPLATE)) as Record<string, Record<string, unknown>>;
  const release = pipeline.release as {
    services: { name: string; alias: string }[];
    variables: Record<string, string>;
  };
  assert.match(release.services[0].name, /^docker:[\d.]+-dind$/);
  assert.equal(release.variables.DOCKER_HOST, `tcp://${release.services[0].alias}:2375`);
  const scripts = Object.values(pipeline).flatMap((job) => [
    ...((job.script as string[]) ?? []),
    ...((job.before_script as string[]) ?? []),
  ]);
  assert.ok(scripts.length > 0);
  for (const line of scripts) assert.doesNotMatch(line, /(echo|printf|cat).*\$\{?KUBECONFIG.*>/, line);
  assert.equal((pipeline.promote as { when?: string }).when, undefined, "manual through its rules");
  assert.deepEqual(
    ((pipeline.promote as { rules: { when: string }[] }).rules ?? []).map((rule) => rule.when),
    ["manual"],
  );
});

test("init --ci github writes the workflow (branch and config filled in) and the RBAC; both pass", async () => {
  const { cwd, code, stdout, stderr } = await initCi([
    "--ci",
    "github",
    "--branch",
    "trunk",
    "-c",
    "deploy/grayctl.yaml",
    "--app",
    "shop",
  ]);
  assert.equal(code, 0, stderr + stdout);
  assert.match(stdout, /wrote \.github\/workflows\/grayctl\.yml and grayctl-rbac\.yaml \(a Role for app shop\)/);
  const workflow = await readFile(join(cwd, ".github/workflows/grayctl.yml"), "utf8");
  assert.deepEqual(await workflowErrors("grayctl.yml", workflow), []);
  assertSecretsStayOutOfShells("generated", workflow, { noExpressionsInRun: true });
  const on = (parse(workflow) as { on: { push: { branches: string[] } } }).on;
  assert.deepEqual(on.push.branches, ["trunk"]);
  for (const use of actionUses(workflow, "grayctl/grayctl")) assert.equal(use.with.config, "deploy/grayctl.yaml");
  // What is written is the checked template with two values filled in.
  assert.equal(
    workflow.replaceAll("trunk", "main").replaceAll("deploy/grayctl.yaml", "grayctl.yaml"),
    read(GITHUB_TEMPLATE),
  );
  // The RBAC is the template for this app: its state ConfigMap and Lease by name, and its release record and
  // release Lease (a release across targets, decision 051), nothing else changed.
  const rbac = await readFile(join(cwd, "grayctl-rbac.yaml"), "utf8");
  assert.equal(rbac, read("templates/rbac.yaml").replaceAll("checkout", "shop"));
  const role = parseAllDocuments(rbac)
    .map((doc) => doc.toJS())
    .find((doc) => doc.kind === "Role");
  assert.equal(role.metadata.name, "grayctl-shop");
  const named = role.rules.filter((rule: { resourceNames?: string[] }) => rule.resourceNames);
  assert.deepEqual(
    named.map((rule: { resources: string[]; verbs: string[]; resourceNames: string[] }) => [
      rule.resources[0],
      rule.verbs,
      rule.resourceNames,
    ]),
    [
      ["configmaps", ["update"], ["shop-grayctl", "shop-grayctl-release"]],
      ["leases", ["get", "update", "delete"], ["shop-grayctl", "shop-grayctl-release"]],
    ],
  );
});

test("init --ci writes the Role for the configuration's app; --app must be an app name", async () => {
  const cwd = await mkdtemp(join(dir, "with-config-"));
  await writeFile(join(cwd, "grayctl.yaml"), "app: books\n");
  const result = await runCli(["init", "--ci", "gitlab"], { cwd });
  assert.equal(result.code, 0, result.stderr);
  const rbac = await readFile(join(cwd, "grayctl-rbac.yaml"), "utf8");
  assert.match(rbac, /resourceNames: \["books-grayctl", "books-grayctl-release"\]/);
  assert.doesNotMatch(rbac, /checkout/);
  const bad = await initCi(["--ci", "gitlab", "--app", "Books_1"]);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--app: "Books_1" is not an app name/);
  assert.deepEqual(readdirSync(bad.cwd), [], "nothing written");
});

test("init --ci gitlab writes a pipeline that passes GitLab's CI schema", async () => {
  const { cwd, code, stdout, stderr } = await initCi(["--ci", "gitlab", "-c", "ops/shop.yaml"]);
  assert.equal(code, 0, stderr + stdout);
  const pipeline = await readFile(join(cwd, ".gitlab-ci.yml"), "utf8");
  assert.equal((parse(pipeline) as { variables: Record<string, string> }).variables.GRAYCTL_CONFIG, "ops/shop.yaml");
  const lint = await gitlabLint(pipeline);
  assert.ok(lint.ok, lint.output);
  assert.deepEqual(lint.jobs, ["release", "promote", "rollback"]);
  assert.ok(existsSync(join(cwd, "grayctl-rbac.yaml")));
});

test("init --ci: bad input is exit 2 naming the flag; an existing file is not overwritten without --force", async () => {
  for (const [args, message] of [
    [["--ci", "jenkins"], /--ci <system>.*jenkins.*github, gitlab/],
    [["--ci", "gitlab", "--branch", "main"], /--branch: only for --ci github/],
    [["--ci", "github", "--branch", "-x;rm"], /--branch: "-x;rm" is not a branch name/],
    [["--ci", "github", "-c", "../elsewhere.yaml"], /--config: "..\/elsewhere.yaml" must be a plain path inside/],
  ] as const) {
    const { cwd, code, stdout, stderr } = await initCi([...args]);
    assert.equal(code, 2, `${args.join(" ")}: ${stderr}${stdout}`);
    assert.match(stderr, message);
    assert.doesNotMatch(stderr, /at .*\.js:\d+/, "no stack trace");
    assert.deepEqual(readdirSync(cwd), [], "nothing written");
  }
  const cwd = await mkdtemp(join(dir, "existing-"));
  await mkdir(join(cwd, ".github/workflows"), { recursive: true });
  await writeFile(join(cwd, ".github/workflows/grayctl.yml"), "# ours\n");
  const refused = await runCli(["init", "--ci", "github"], { cwd });
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /grayctl\.yml already exists/);
  assert.equal(await readFile(join(cwd, ".github/workflows/grayctl.yml"), "utf8"), "# ours\n");
  assert.ok(!existsSync(join(cwd, "grayctl-rbac.yaml")), "nothing else written either");
  const forced = await runCli(["init", "--ci", "github", "--force"], { cwd });
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(await readFile(join(cwd, ".github/workflows/grayctl.yml"), "utf8"), read(GITHUB_TEMPLATE));
});
