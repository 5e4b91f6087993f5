// Who is acting, for history and events: the CI user when in CI, else the OS user.
import { hostname, userInfo } from "node:os";
import { randomBytes } from "node:crypto";

export function actorFrom(env: Record<string, string | undefined>): string {
  if (env.GITHUB_ACTOR) return `${env.GITHUB_ACTOR} (GitHub Actions)`;
  if (env.GITLAB_USER_LOGIN) return `${env.GITLAB_USER_LOGIN} (GitLab CI)`;
  if (env.GRAYCTL_ACTOR) return env.GRAYCTL_ACTOR;
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
