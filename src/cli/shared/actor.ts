// Who is acting, for history and events. What the user says wins (--actor, then
// GRAYCTL_ACTOR: a pipeline names the approver of a manual promotion this way,
// who is not the user the CI system reports); then the CI user; then the OS user.
import { hostname, userInfo } from "node:os";
import { randomBytes } from "node:crypto";
import { UsageError } from "../../errors.ts";

export function actorFrom(env: Record<string, string | undefined>, flag?: string): string {
  if (flag !== undefined) {
    if (flag.trim() === "") throw new UsageError("--actor: must not be empty");
    return flag.trim();
  }
  if (env.GRAYCTL_ACTOR?.trim()) return env.GRAYCTL_ACTOR.trim();
  if (env.GITHUB_ACTOR) return `${env.GITHUB_ACTOR} (GitHub Actions)`;
  if (env.GITLAB_USER_LOGIN) return `${env.GITLAB_USER_LOGIN} (GitLab CI)`;
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? "unknown";
  }
}

/** Unique per process: the Lease holder identity and the state's owner. */
export function ownerId(actor: string, pid: number): string {
  return `${actor.split(" ")[0]}@${hostname()}/${pid}/${randomBytes(3).toString("hex")}`;
}

/** The CI job this process runs in, as a link a person can open (GitHub Actions, GitLab CI); undefined elsewhere. */
export function ciJob(env: Record<string, string | undefined>): string | undefined {
  if (env.GITHUB_ACTIONS === "true" && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) {
    const server = env.GITHUB_SERVER_URL || "https://github.com";
    return `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
  }
  if (env.GITLAB_CI === "true" && env.CI_JOB_URL) return env.CI_JOB_URL;
  return undefined;
}
