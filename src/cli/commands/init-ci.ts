// `grayctl init --ci github|gitlab`: writes a pipeline from templates/ci (the
// files the package ships, checked by the test suite against GitHub's workflow
// parser and GitLab's CI schema) and the namespace-scoped RBAC it needs, a Role
// for this app alone (its state ConfigMap and Lease by name). The templates are
// complete files; only the branch, the configuration path and the app's name
// are filled in, so what is written is what was checked.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { APP_NAME } from "../../config/schema.ts";
import { ExitCode, UsageError } from "../../errors.ts";
import type { CommandContext } from "../context.ts";
import { packageFileText } from "../package-files.ts";
import { exists } from "../../util/exists.ts";
import { rbacForApp } from "../shared/rbac-template.ts";
import { defaultApp } from "./init.ts";

export const CI_SYSTEMS = ["github", "gitlab"] as const;
type CiSystem = (typeof CI_SYSTEMS)[number];

export interface InitCiOptions {
  ci: string;
  /** --app; default: the configuration's app when it can be read, else the directory's name. */
  app?: string;
  branch?: string;
  force?: boolean;
}

const PIPELINES: Record<CiSystem, { template: string; target: string }> = {
  github: { template: "ci/github-actions.yml", target: ".github/workflows/grayctl.yml" },
  gitlab: { template: "ci/gitlab-ci.yml", target: ".gitlab-ci.yml" },
};
const RBAC = { template: "rbac.yaml", target: "grayctl-rbac.yaml" };
// Names that are safe as plain YAML scalars and in a shell word.
const SAFE = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

const templateText = (name: string) =>
  // src/cli/commands and dist's chunks are both three levels below the package root.
  packageFileText(`templates/${name}`, () => new URL(`../../../templates/${name}`, import.meta.url));

/** Replaces text the template must contain; a template that lost it is a bug here, not the user's. */
function fill(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`templates/ci: expected "${from}" in the pipeline template`);
  return text.replaceAll(from, to);
}

export async function initCiCommand(ctx: CommandContext, options: InitCiOptions): Promise<number> {
  const system = options.ci as CiSystem;
  if (!CI_SYSTEMS.includes(system))
    throw new UsageError(`--ci: "${options.ci}" is not one of ${CI_SYSTEMS.join(", ")}`);
  const branch = options.branch ?? "main";
  if (system === "gitlab" && options.branch !== undefined)
    throw new UsageError("--branch: only for --ci github; the GitLab pipeline follows $CI_DEFAULT_BRANCH");
  if (!SAFE.test(branch)) throw new UsageError(`--branch: "${branch}" is not a branch name`);
  const config = configPath(ctx);
  const app = await appName(ctx, options.app);

  const pipeline = PIPELINES[system];
  let text = await templateText(pipeline.template);
  if (system === "github") {
    text = fill(text, "branches: [main]", `branches: [${branch}]`);
    text = fill(text, "A push to main ", `A push to ${branch} `);
    text = fill(text, "config: grayctl.yaml", `config: ${config}`);
  } else {
    text = fill(text, "GRAYCTL_CONFIG: grayctl.yaml", `GRAYCTL_CONFIG: ${config}`);
  }
  text = fill(text, "canary steps of grayctl.yaml", `canary steps of ${config}`);
  const files = [
    { path: resolve(ctx.cwd, pipeline.target), text },
    { path: resolve(ctx.cwd, RBAC.target), text: rbacForApp(await templateText(RBAC.template), app) },
  ];
  // Refuse before writing anything: a refused run changes nothing.
  if (!options.force) {
    const existing = (
      await Promise.all(files.map(async (file) => ((await exists(file.path)) ? file.path : "")))
    ).filter(Boolean);
    if (existing.length > 0)
      throw new UsageError(
        `${existing.join(", ")} already exist${existing.length === 1 ? "s" : ""}`,
        "Pass --force to overwrite.",
      );
  }
  for (const file of files) {
    await mkdir(dirname(file.path), { recursive: true });
    await writeFile(file.path, file.text, { flag: options.force ? "w" : "wx" });
  }
  const [written, rbac] = files.map((file) => relative(ctx.cwd, file.path));
  ctx.reporter.result(
    "written",
    { ci: system, files: [written, rbac], branch: system === "github" ? branch : undefined, config, app },
    `wrote ${written} and ${rbac} (a Role for app ${app}); the comments at the top of ${written} list the secrets and environments to set up`,
  );
  return ExitCode.ok;
}

/** The configuration path as the pipeline names it: relative to the repository (the current directory). */
function configPath(ctx: CommandContext): string {
  const given = ctx.globals.config ?? ctx.env.GRAYCTL_CONFIG ?? "grayctl.yaml";
  const path = relative(ctx.cwd, resolve(ctx.cwd, given));
  if (path.startsWith("..") || isAbsolute(path) || !SAFE.test(path))
    throw new UsageError(
      `--config: "${given}" must be a plain path inside this directory for the pipeline to find it`,
      "Run `grayctl init --ci` from the repository's root.",
    );
  return path;
}

/** The app the Role is for: --app, else the configuration's (when there is one), else the directory's name. */
async function appName(ctx: CommandContext, given: string | undefined): Promise<string> {
  if (given !== undefined) {
    if (!APP_NAME.test(given) || given.length > 53)
      throw new UsageError(
        `--app: ${JSON.stringify(given)} is not an app name: a DNS-1035 label of at most 53 characters (lower-case letters, digits and '-', starting with a letter)`,
      );
    return given;
  }
  const file = resolve(ctx.cwd, ctx.globals.config ?? ctx.env.GRAYCTL_CONFIG ?? "grayctl.yaml");
  if (await exists(file)) return (await ctx.loadConfig()).config.app;
  return defaultApp(ctx.cwd);
}
