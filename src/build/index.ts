// `grayctl build`: one image per revision, built once. If the registry already
// has repository:<tag>, nothing is built or pushed and its digest is returned;
// otherwise the image is built on the engine, pushed, and returned by digest.
import { stat } from "node:fs/promises";
import { homedir } from "node:os";
import { lookupCredentials, type RegistryCredentials } from "./credentials.ts";
import { ownReportFiles } from "../ci/report-paths.ts";
import { BuildUserError, RegistryError } from "./errors.ts";
import { createGit } from "./git.ts";
import { parseRepository } from "./image-ref.ts";
import { ociLabels, sourceUrl } from "./labels.ts";
import { checkManifest } from "./registry.ts";
import { resolveRevision } from "./revision.ts";
import { type BuildDeps, type BuildResult, defaultTimeouts, type ImageSettings } from "./settings.ts";
import { tagFor } from "./tag-policy.ts";

export type { BuildDeps, BuildResult, ImageSettings, Revision } from "./settings.ts";

/** Where the image for HEAD is (or would be): its tag, and its digest when the registry has it. Builds nothing. */
export async function locateImage(settings: ImageSettings, deps: BuildDeps) {
  const { env, reporter, signal } = deps;
  const timeouts = { ...defaultTimeouts, ...deps.timeouts };
  const ref = parseRepository(settings.repository);
  const contextStat = await stat(settings.context).catch(() => undefined);
  if (!contextStat?.isDirectory()) throw new BuildUserError(`image.context ${settings.context} is not a directory`);

  const git = createGit({ cwd: settings.context, env, timeoutMs: timeouts.gitMs, signal });
  // A report an earlier grayctl command wrote in this CI job is no change to the app, and no part of its image.
  const ownFiles = ownReportFiles(env, deps.cwd);
  const resolved = await resolveRevision(settings, git, env, reporter, ownFiles);
  const tag = tagFor(resolved, settings);
  const revision = { commit: resolved.commit, tree: resolved.tree, dirty: resolved.dirty };
  reporter.debug(`revision ${resolved.commit} (${resolved.source}); tag policy ${settings.tag} → ${tag}`);

  let credentials: Promise<RegistryCredentials | undefined> | undefined;
  const credentialsOnce = () => {
    credentials ??= lookupCredentials(ref.credentialKey, {
      env,
      homeDir: deps.homeDir ?? homedir(),
      reporter,
      helperTimeoutMs: timeouts.credentialHelperMs,
      signal,
    });
    return credentials;
  };
  const registryOptions = { env, reporter, credentials: credentialsOnce, timeoutMs: timeouts.registryMs, signal };
  // A -dirty tag names no fixed content: two different edits share it, so it is never reused.
  const existing = resolved.dirty ? { exists: false as const } : await checkManifest(ref, tag, registryOptions);
  return { ref, tag, revision, resolved, git, timeouts, existing, credentialsOnce, registryOptions, ownFiles };
}

export async function buildOrReuseImage(settings: ImageSettings, deps: BuildDeps): Promise<BuildResult> {
  const { env, reporter, signal } = deps;
  const located = await locateImage(settings, deps);
  const { ref, tag, revision, resolved, git, timeouts, existing, credentialsOnce, registryOptions, ownFiles } = located;
  if (resolved.dirty) {
    reporter.warn(`building from uncommitted changes as ${tag}; the registry's copy, if any, is replaced`);
  } else if (existing.exists) {
    reporter.debug(`${ref.repository}:${tag} is already in the registry; not building`);
    return result(ref.repository, tag, existing.digest, revision, false, false);
  }

  // dockerode (with ssh2 and gRPC: over 1 MiB bundled) loads only when there is an image to build.
  const [{ connectDocker }, { buildImage }, { pushImage }] = await Promise.all([
    import("./docker-client.ts"),
    import("./docker-build.ts"),
    import("./docker-push.ts"),
  ]);
  const docker = await connectDocker(env, timeouts.engineMs, signal, deps.docker);
  const imageName = `${ref.repository}:${tag}`;
  const labels = ociLabels({
    revision: resolved.commit,
    version: tag,
    created: (deps.clock ?? { now: () => new Date() }).now(),
    source: resolved.source === "git" ? await sourceUrl(git) : undefined,
    extra: settings.labels,
  });
  await buildImage({ docker, settings, imageName, labels, reporter, timeoutMs: timeouts.buildMs, signal, ownFiles });
  const pushedDigest = await pushImage({
    docker,
    ref,
    tag,
    credentials: await credentialsOnce(),
    reporter,
    timeoutMs: timeouts.pushMs,
    signal,
  });
  // Older engines may not report the digest in the push stream; the registry knows it.
  const digest = pushedDigest ?? (await digestFromRegistry(ref, tag, registryOptions));
  return result(ref.repository, tag, digest, revision, true, true);
}

async function digestFromRegistry(
  ref: ReturnType<typeof parseRepository>,
  tag: string,
  options: Parameters<typeof checkManifest>[2],
): Promise<string> {
  const check = await checkManifest(ref, tag, options);
  if (!check.exists) throw new RegistryError(`pushed ${ref.repository}:${tag}, but the registry does not list it`);
  return check.digest;
}

function result(
  repository: string,
  tag: string,
  digest: string,
  revision: BuildResult["revision"],
  built: boolean,
  pushed: boolean,
): BuildResult {
  return { image: `${repository}:${tag}@${digest}`, repository, tag, digest, revision, built, pushed };
}
