// OCI image labels (https://github.com/opencontainers/image-spec/blob/main/annotations.md).
import type { GitRunner } from "./git.ts";

export function ociLabels(input: {
  revision: string;
  version: string;
  created: Date;
  source?: string;
  extra: Record<string, string>;
}): Record<string, string> {
  const labels: Record<string, string> = {
    "org.opencontainers.image.revision": input.revision,
    "org.opencontainers.image.version": input.version,
    "org.opencontainers.image.created": input.created.toISOString(),
  };
  if (input.source) labels["org.opencontainers.image.source"] = input.source;
  // The team's own labels win: they asked for them explicitly.
  return { ...labels, ...input.extra };
}

/** The fetch URL of origin (else the first remote), without any credentials in it. */
export async function sourceUrl(git: GitRunner): Promise<string | undefined> {
  const remotes = await git.run(["remote"]);
  if (!remotes.ok) return undefined;
  const names = remotes.stdout.split("\n").filter(Boolean);
  const name = names.includes("origin") ? "origin" : names[0];
  if (!name) return undefined;
  const url = await git.run(["remote", "get-url", name]);
  return url.ok ? stripCredentials(url.stdout.trim()) : undefined;
}

/** https://user:token@host/x → https://host/x; scp-like git@host:x has no secret and stays. */
export function stripCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return url;
  }
}
