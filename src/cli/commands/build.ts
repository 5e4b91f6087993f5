// `grayctl build`: builds (or reuses) the image for HEAD and reports it.
// dockerode is imported lazily so that loading the CLI never pays for it.
import type { Reporter } from "../../output/types.ts";
import type { BuildResult, ImageSettings } from "../../build/settings.ts";

export async function buildCommand(opts: {
  reporter: Reporter;
  cwd: string;
  env: NodeJS.ProcessEnv;
  settings: ImageSettings;
  signal?: AbortSignal;
  /** -q: the result is the image reference alone, so `IMAGE=$(grayctl build -q)` works. */
  quiet?: boolean;
}): Promise<BuildResult> {
  const { buildOrReuseImage } = await import("../../build/index.ts");
  const build = await buildOrReuseImage(opts.settings, {
    cwd: opts.cwd,
    env: opts.env,
    reporter: opts.reporter,
    signal: opts.signal,
  });
  const outcome = build.built ? "built" : "reused";
  const text = opts.quiet
    ? build.image
    : build.built
      ? `Built and pushed ${build.image}`
      : `Reused ${build.image} (already in the registry; nothing built)`;
  opts.reporter.result(
    outcome,
    { image: build.image, tag: build.tag, digest: build.digest, built: build.built, pushed: build.pushed },
    text,
  );
  return build;
}
