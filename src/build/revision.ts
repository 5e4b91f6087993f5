// Finds the revision to build: commit, tree of the context directory, dirty state.
// Falls back to CI's own variables when git is not usable (a source tarball in CI).
import { realpath } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { Reporter } from "../output/types.ts";
import { BuildUserError } from "./errors.ts";
import type { GitRunner } from "./git.ts";
import type { ImageSettings, Revision } from "./settings.ts";

export interface ResolvedRevision extends Revision {
  abbrev: string;
  /** paths (relative to the repo root) that make the tree dirty, at most a handful */
  changedPaths: string[];
  /** where the revision came from */
  source: "git" | "GITHUB_SHA" | "CI_COMMIT_SHA";
  /** absolute path of the repository root, when git is usable */
  root?: string;
}

const ciShaVariables = ["GITHUB_SHA", "CI_COMMIT_SHA"] as const;

export async function resolveRevision(
  settings: Pick<ImageSettings, "context" | "tag">,
  git: GitRunner,
  env: NodeJS.ProcessEnv,
  reporter: Reporter,
  /** Untracked files that are no change to the app (grayctl's own CI reports), as absolute resolved paths. */
  ownFiles: ReadonlySet<string> = new Set(),
): Promise<ResolvedRevision> {
  const top = await git.run(["rev-parse", "--show-toplevel"]);
  if (!top.ok) return fromCiVariables(settings, env, top.stderr, reporter);

  const head = await git.run(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]);
  if (!head.ok) {
    throw new BuildUserError(
      `${top.stdout} has no commits yet, so there is no revision to tag the image with`,
      "Commit first: git add -A && git commit -m 'first commit'",
    );
  }
  const commit = head.stdout.trim();
  const abbrev = (await git.run(["rev-parse", "--short", "HEAD"])).stdout.trim();

  const branch = await git.run(["symbolic-ref", "--quiet", "--short", "HEAD"]);
  reporter.debug(
    branch.ok ? `git: on branch ${branch.stdout}` : `git: detached HEAD at ${abbrev} (fine: tags use the sha)`,
  );
  const shallow = await git.run(["rev-parse", "--is-shallow-repository"]);
  if (shallow.stdout.trim() === "true") reporter.debug("git: shallow clone (fine: HEAD's commit and tree are present)");

  // realpath on both sides: /tmp may be a symlink, and git reports resolved paths.
  const root = await realpath(top.stdout.trim());
  const contextPath = await realpath(settings.context);
  const inRepo = relative(root, contextPath);
  if (inRepo.startsWith("..")) {
    throw new BuildUserError(`image.context ${settings.context} is outside the git repository ${root}`);
  }
  // git wants forward slashes in HEAD:<path>; "" names the root tree.
  const treePath = inRepo.split(sep).join("/");
  const treeResult = await git.run(["rev-parse", "--verify", "--quiet", `HEAD:${treePath}`]);
  if (!treeResult.ok && settings.tag === "tree") {
    throw new BuildUserError(
      `image.context ${settings.context} is not in the last commit, so it has no tree sha`,
      "Commit the directory first, or use image.tag: commit",
    );
  }

  const changedPaths = await dirtyPaths(git, (path) => ownFiles.has(join(root, path)));
  return {
    commit,
    abbrev,
    tree: treeResult.ok ? treeResult.stdout.trim() : undefined,
    dirty: changedPaths.length > 0,
    changedPaths,
    source: "git",
    root,
  };
}

/** Paths changed or untracked under the context directory (git runs with cwd = context). */
async function dirtyPaths(git: GitRunner, own: (path: string) => boolean): Promise<string[]> {
  const status = await git.run(["status", "--porcelain=v1", "-z", "--untracked-files=all", "--", "."]);
  if (!status.ok) throw new Error(`git status failed: ${status.stderr}`);
  // -z: entries separated by NUL, "XY path"; renames carry their source as the next entry.
  const entries = status.stdout.split("\0").filter((entry) => entry.length > 0);
  const paths: string[] = [];
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index];
    // An untracked report of an earlier grayctl command in the same CI job is not part of the app (src/ci/report-paths.ts).
    if (!(entry.startsWith("?? ") && own(entry.slice(3)))) paths.push(entry.slice(3));
    if (entry[0] === "R" || entry[0] === "C") index++;
  }
  return paths;
}

function fromCiVariables(
  settings: Pick<ImageSettings, "context" | "tag">,
  env: NodeJS.ProcessEnv,
  gitError: string,
  reporter: Reporter,
): ResolvedRevision {
  const name = ciShaVariables.find((variable) => /^[0-9a-f]{40}$/.test(env[variable] ?? ""));
  if (!name) {
    throw new BuildUserError(
      `${settings.context} is not inside a git repository, so grayctl cannot tag the image by commit (git: ${firstLine(gitError)})`,
      "Run grayctl from a git checkout (git clone …), or set GITHUB_SHA / CI_COMMIT_SHA to the commit being built",
    );
  }
  if (settings.tag === "tree") {
    throw new BuildUserError(
      "image.tag: tree needs a git checkout; only a commit sha is known here (from " + name + ")",
      "Use image.tag: commit, or run from a git checkout",
    );
  }
  const commit = env[name] as string;
  reporter.debug(`git not usable here; using ${name}=${commit}`);
  return { commit, abbrev: commit.slice(0, 7), dirty: false, changedPaths: [], source: name };
}

function firstLine(text: string): string {
  return text.split("\n")[0]?.trim() ?? "";
}
