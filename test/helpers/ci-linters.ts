// The linters the shipped CI files must pass, run as they are published:
// - GitHub workflows and action.yml: @actions/workflow-parser, GitHub's own
//   parser and schema (the one behind the Actions language service);
// - GitLab pipelines: gitlab-ci-local, which validates .gitlab-ci.yml against
//   GitLab's CI JSON schema (app/assets/javascripts/editor/schema/ci.json,
//   bundled in its dist) plus its own checks (needs, stages, rules), before
//   listing the jobs.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire, registerHooks } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

// The parser imports its schema JSON without `with { type: "json" }` (it is
// written for bundlers); Node refuses that. This serves those JSON files as
// modules that export the parsed value, for this package only.
let hooked = false;
function allowParserJson(): void {
  if (hooked) return;
  hooked = true;
  registerHooks({
    load(url, context, nextLoad) {
      if (url.includes("/@actions/workflow-parser/") && url.endsWith(".json"))
        return {
          format: "module",
          source: `export default ${readFileSync(fileURLToPath(url), "utf8")};`,
          shortCircuit: true,
        };
      return nextLoad(url, context);
    },
  });
}

/** Errors GitHub's parser finds in a workflow: schema, expressions, then the conversion's own checks (needs, …). */
export async function workflowErrors(name: string, content: string): Promise<string[]> {
  allowParserJson();
  const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = await import("@actions/workflow-parser");
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((error) => error.message);
  if (errors.length > 0 || !parsed.value) return errors;
  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  return (template.errors ?? []).map((error) => error.Message);
}

/** Errors GitHub's parser finds in an action's metadata file (action.yml). */
export async function actionErrors(name: string, content: string): Promise<string[]> {
  allowParserJson();
  const [{ parseAction }, { NoOperationTraceWriter }] = await Promise.all([
    import("@actions/workflow-parser/actions/index"),
    import("@actions/workflow-parser"),
  ]);
  const parsed = parseAction({ name, content }, new NoOperationTraceWriter());
  return parsed.context.errors.getErrors().map((error) => error.message);
}

const GITLAB_CI_LOCAL = createRequire(import.meta.url).resolve("gitlab-ci-local/dist/index.js");

/**
 * gitlab-ci-local's verdict on a pipeline, in a throwaway git repository (it
 * reads the commit and remote from git; with no remote it falls back to
 * defaults, so nothing leaves the machine). `--list` validates, then lists jobs.
 */
export async function gitlabLint(content: string): Promise<{ ok: boolean; output: string; jobs: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), "grayctl-gitlab-lint-"));
  try {
    await writeFile(join(dir, ".gitlab-ci.yml"), content);
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.email=lint@grayctl.test", "-c", "user.name=lint", ...args], {
        cwd: dir,
        stdio: "ignore",
      });
    git("init", "-q", "-b", "main");
    git("add", ".gitlab-ci.yml");
    git("commit", "-q", "-m", "pipeline");
    const result = spawnSync(process.execPath, [GITLAB_CI_LOCAL, "--list"], {
      cwd: dir,
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    });
    const output = `${result.stdout}${result.stderr}`;
    // --list prints a table: a header line starting with "name", then one job per line.
    const lines = result.stdout.split("\n");
    const header = lines.findIndex((line) => /^name\s/.test(line.trim()));
    const jobs =
      header < 0
        ? []
        : lines
            .slice(header + 1)
            .map((line) => line.trim().split(/\s+/)[0])
            .filter(Boolean);
    return { ok: result.status === 0, output, jobs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every `run:` script of a workflow, with the job and step that holds it. */
export function runScripts(content: string): { where: string; script: string }[] {
  const workflow = parse(content) as {
    jobs?: Record<string, { steps?: { name?: string; id?: string; run?: string }[] }>;
  };
  return Object.entries(workflow.jobs ?? {}).flatMap(([job, spec]) =>
    (spec.steps ?? [])
      .filter((step) => typeof step.run === "string")
      .map((step, index) => ({ where: `jobs.${job} step ${step.id ?? step.name ?? index}`, script: step.run! })),
  );
}

/** Steps that use the given action, with the inputs they pass. */
export function actionUses(content: string, action: string): { where: string; with: Record<string, unknown> }[] {
  const workflow = parse(content) as {
    jobs?: Record<string, { steps?: { uses?: string; id?: string; with?: Record<string, unknown> }[] }>;
  };
  return Object.entries(workflow.jobs ?? {}).flatMap(([job, spec]) =>
    (spec.steps ?? [])
      .filter((step) => step.uses?.split("@")[0] === action)
      .map((step, index) => ({ where: `jobs.${job} step ${step.id ?? index}`, with: step.with ?? {} })),
  );
}
