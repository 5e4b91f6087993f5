// `grayctl guard install` (issue 20): the objects it prints are templates/guard.yaml's
// (GitOps users apply the file, others the command), the Role is the one the
// guard runs with, and a bad flag is exit 2 naming it, printing nothing.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import { runCli } from "../helpers/cli.ts";

const TEMPLATE = new URL("../../templates/guard.yaml", import.meta.url);

test("guard install prints templates/guard.yaml: ServiceAccount, Role, RoleBinding, CronJob", async () => {
  const printed = await runCli(["guard", "install"]);
  assert.equal(printed.code, 0, printed.stderr);
  const file = (await readFile(TEMPLATE, "utf8")).replace(/^#.*\n/gm, "");
  assert.equal(printed.stdout.trim(), file.trim(), "templates/guard.yaml is what `grayctl guard install` prints");
  const kinds = parseAllDocuments(printed.stdout).map((doc) => doc.toJS().kind);
  assert.deepEqual(kinds, ["ServiceAccount", "Role", "RoleBinding", "CronJob"]);
  // The default image is the release's of this very version (never :latest); the guard names itself as the actor.
  const version = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")).version;
  const cron = parseAllDocuments(printed.stdout)
    .map((doc) => doc.toJS())
    .find((doc) => doc.kind === "CronJob");
  const container = cron.spec.jobTemplate.spec.template.spec.containers[0];
  assert.equal(container.image, `ghcr.io/grayctl/grayctl:${version}`);
  assert.deepEqual(container.env, [{ name: "GRAYCTL_ACTOR", value: "grayctl-guard" }]);
  assert.equal(container.terminationMessagePolicy, "FallbackToLogsOnError");
});

test("guard install -n shop --schedule --image: the namespace, schedule and image are in the objects", async () => {
  const printed = await runCli([
    "-n",
    "shop",
    "guard",
    "install",
    "--schedule",
    "*/5 * * * *",
    "--image",
    "r.example/grayctl:1",
  ]);
  assert.equal(printed.code, 0, printed.stderr);
  const docs = parseAllDocuments(printed.stdout).map((doc) => doc.toJS());
  for (const doc of docs) assert.equal(doc.metadata.namespace, "shop");
  const cron = docs.find((doc) => doc.kind === "CronJob");
  assert.equal(cron.spec.schedule, "*/5 * * * *");
  assert.equal(cron.spec.concurrencyPolicy, "Forbid");
  const pod = cron.spec.jobTemplate.spec.template.spec;
  assert.equal(pod.serviceAccountName, "grayctl-guard");
  assert.deepEqual(pod.containers[0].args, ["guard", "-o", "json"]);
  assert.equal(pod.containers[0].image, "r.example/grayctl:1");
  const role = docs.find((doc) => doc.kind === "Role");
  const configmaps = role.rules.find((rule: { resources: string[] }) => rule.resources.includes("configmaps"));
  assert.ok(configmaps.verbs.includes("list"), "the guard lists the namespace's state records");
});

for (const [args, named] of [
  [["--schedule", "every minute"], /--schedule: "every minute" is not a cron schedule/],
  [["--image", ""], /--image: "" is not an image reference/],
  [["--apply", "--dry-run"], /--apply and --dry-run: choose one/],
] as const) {
  test(`guard install ${args.join(" ")}: exit 2 naming the flag, nothing printed`, async () => {
    const result = await runCli(["guard", "install", ...args]);
    assert.equal(result.code, 2, result.stderr + result.stdout);
    assert.match(result.stderr, named);
    assert.equal(result.stdout, "");
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });
}

test("guard --grace nonsense: exit 2 naming the flag", async () => {
  const result = await runCli(["guard", "--grace", "soon"]);
  assert.equal(result.code, 2, result.stderr + result.stdout);
  assert.match(result.stderr, /--grace: "soon" is not a duration/);
});
