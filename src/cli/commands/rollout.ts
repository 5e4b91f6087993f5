// `grayctl rollout [--image REF]`: without --image, builds (or reuses) the
// image for HEAD first; then takes the app's Lease and runs the engine.
import { requirePinValue } from "../../config/load.ts";
import { ExitCode } from "../../errors.ts";
import type { CommandContext } from "../context.ts";
import { headImageSettings } from "../shared/image-settings.ts";
import { type RolloutOptions, rolloutImage } from "../shared/rollout-image.ts";

export type { RolloutOptions };

export async function rolloutCommand(ctx: CommandContext, options: RolloutOptions): Promise<number> {
  if (options.dryRun) {
    // Before anything else: no build, no push, no Lease.
    const { planCommand } = await import("./plan.ts");
    return planCommand(ctx, { image: options.image, supersede: options.supersede });
  }
  const { config, targets } = await ctx.loadConfig();
  // A rollout routes with the pin: without its secret it would have none (rollback and the rest do not need it).
  requirePinValue(config);
  let image: string;
  let commit: string | undefined;
  if (options.image) {
    const { resolveImageDigest } = await import("../../build/resolve-digest.ts");
    image = await resolveImageDigest(options.image, { env: ctx.env, reporter: ctx.reporter, signal: ctx.signal });
  } else {
    const { buildOrReuseImage } = await import("../../build/index.ts");
    const built = await buildOrReuseImage(headImageSettings(config, ctx.cwd), {
      cwd: ctx.cwd,
      env: ctx.env,
      reporter: ctx.reporter,
      signal: ctx.signal,
    });
    image = built.image;
    commit = built.revision.commit;
  }
  if (targets) {
    // issue 22: the image built (or resolved) once above goes to every target, wave by wave.
    const { releaseCommand } = await import("./rollout-waves.ts");
    return releaseCommand(ctx, config, targets, { ...options, image, commit });
  }
  const outcome = await rolloutImage(ctx, config, { ...options, image, commit });
  ctx.reporter.result(outcome.outcome, outcome.fields, outcome.message);
  return outcome.exitCode;
}

export { ExitCode };
