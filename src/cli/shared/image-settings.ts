// The image section of the configuration as the build module takes it.
import { resolve } from "node:path";
import type { ImageSettings } from "../../build/settings.ts";
import type { Config } from "../../config/schema.ts";
import { UsageError } from "../../errors.ts";

/** The settings for building (or finding) the image for HEAD: rollout and plan without --image. */
export function headImageSettings(config: Config, cwd: string): ImageSettings {
  if (!config.image)
    throw new UsageError(
      "no --image given and no image section in the configuration",
      "Pass --image REF or add image.repository.",
    );
  return imageSettings(config.image, cwd);
}

export function imageSettings(image: NonNullable<Config["image"]>, cwd: string): ImageSettings {
  return {
    repository: image.repository,
    context: resolve(cwd, image.context),
    dockerfile: image.dockerfile,
    tag: image.tag,
    dirty: image.dirty,
    buildArgs: image.buildArgs,
    target: image.target,
    platform: image.platform,
    labels: image.labels,
  };
}
