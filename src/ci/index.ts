// The CI integrations that apply to this run, picked from the environment the
// runner sets: GitHub Actions (GITHUB_ACTIONS=true), GitLab CI (GITLAB_CI=true).
import { githubIntegration } from "./github.ts";
import { gitlabIntegration } from "./gitlab.ts";
import type { CiIntegration, CiIo } from "./types.ts";

export function ciIntegrations(env: Record<string, string | undefined>, cwd: string, io: CiIo): CiIntegration[] {
  return [githubIntegration(env, io), gitlabIntegration(env, cwd, io)].filter(
    (integration): integration is CiIntegration => integration !== undefined,
  );
}

export type { CiIntegration, CiIo } from "./types.ts";
