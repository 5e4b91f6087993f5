// Where the GitLab CI reports go: in the job's checkout (GitLab takes
// artifacts from there only). The build reads the same paths, so that a report
// an earlier grayctl command wrote is neither a change that makes the tree
// dirty (image.dirty: refuse) nor a file sent in the build context.
import { realpathSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";

export const DOTENV_DEFAULT = "grayctl.env";
export const SUMMARY_DEFAULT = "grayctl-summary.md";

export function reportPaths(env: Record<string, string | undefined>, cwd: string): { dotenv: string; summary: string } {
  return {
    dotenv: resolve(cwd, env.GRAYCTL_DOTENV || DOTENV_DEFAULT),
    summary: resolve(cwd, env.GRAYCTL_SUMMARY || SUMMARY_DEFAULT),
  };
}

/** The reports' paths with symbolic links resolved (git and the build context see resolved paths). */
export function ownReportFiles(env: Record<string, string | undefined>, cwd: string): Set<string> {
  const resolved = (path: string) => {
    try {
      return resolve(realpathSync(dirname(path)), basename(path));
    } catch {
      return path;
    }
  };
  return new Set(Object.values(reportPaths(env, cwd)).map(resolved));
}
