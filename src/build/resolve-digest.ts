// `grayctl rollout --image repo:tag`: deploy by digest, so the tag is resolved
// against the registry once and the cluster gets repo:tag@sha256:…
import { homedir } from "node:os";
import { referenceProblem } from "../config/image-reference.ts";
import { ExitCode, GrayctlError, isGrayctlError, UsageError } from "../errors.ts";
import type { Reporter } from "../output/types.ts";
import { lookupCredentials } from "./credentials.ts";
import { parseRepository } from "./image-ref.ts";
import { checkManifest } from "./registry.ts";

export const DIGEST_REF = /^(?<repository>[^@\s]+?)(?::(?<tag>[\w][\w.-]{0,127}))?@(?<digest>sha256:[a-f0-9]{64})$/;

export function hasDigest(image: string): boolean {
  return DIGEST_REF.test(image);
}

export async function resolveImageDigest(
  image: string,
  deps: { env: NodeJS.ProcessEnv; reporter: Reporter; signal?: AbortSignal },
): Promise<string> {
  const problem = referenceProblem(image);
  if (problem) throw new UsageError(`--image: ${JSON.stringify(image)} ${problem}`);
  if (hasDigest(image)) return image;
  const colon = image.lastIndexOf(":");
  const slash = image.lastIndexOf("/");
  if (colon <= slash) throw new UsageError(`--image ${image}: give a tag or a digest (repo:tag or repo@sha256:…)`);
  const repository = image.slice(0, colon);
  const tag = image.slice(colon + 1);
  const ref = parseRepository(repository);
  try {
    const found = await checkManifest(ref, tag, {
      env: deps.env,
      reporter: deps.reporter,
      credentials: () =>
        lookupCredentials(ref.credentialKey, {
          env: deps.env,
          homeDir: homedir(),
          reporter: deps.reporter,
          helperTimeoutMs: 10_000,
        }),
      timeoutMs: 10_000,
      signal: deps.signal,
    });
    if (!found.exists)
      throw new UsageError(`--image ${image}: the registry has no such tag`, "Push it first, or run `grayctl build`.");
    return `${image}@${found.digest}`;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // A registry that is down (or did not answer in time) is exit 6 with --image as without it.
    if (isGrayctlError(error) && error.exitCode === ExitCode.timeout)
      throw new GrayctlError(`--image ${image}: could not resolve its digest: ${error.message}`, {
        exitCode: ExitCode.timeout,
        hint: error.hint,
        cause: error,
      });
    throw new UsageError(
      `--image ${image}: could not resolve its digest from ${ref.registryHost} (${(error as Error).message})`,
      "grayctl deploys by digest: pass --image repo:tag@sha256:… or make the registry reachable.",
    );
  }
}
