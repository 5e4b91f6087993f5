// The CI templates pin grayctl to an exact version — the package's own — never
// a moving major (`@v0`, `grayctl@0`), which is a tag nobody controls for the
// user and which did not even exist (issue 23).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
const { version } = JSON.parse(read("package.json")) as { version: string };

test("the GitHub Actions template uses the action at the package's exact version", () => {
  const template = read("templates/ci/github-actions.yml");
  const uses = [...template.matchAll(/^ +uses: grayctl\/grayctl@(\S+)/gm)].map((m) => m[1]);
  assert.ok(uses.length >= 3, "the rollout, promote and rollback jobs use the action");
  assert.deepEqual(new Set(uses), new Set([`v${version}`]));
  // The commit-SHA form is shown beside it.
  assert.match(template, /grayctl\/grayctl@<40-hex commit SHA> # v/);
});

test("the GitLab CI template runs the package's exact version with npx", () => {
  const template = read("templates/ci/gitlab-ci.yml");
  const runs = [...template.matchAll(/npx(?: --yes)? grayctl@(\S+)/g)].map((m) => m[1]);
  assert.ok(runs.length >= 3, "the rollout, promote and rollback jobs run grayctl");
  assert.deepEqual(new Set(runs), new Set([version]));
});
