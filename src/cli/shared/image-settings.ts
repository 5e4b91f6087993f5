// The image section of the configuration as the build module takes it.
import { resolve } from "node:path";
import type { ImageSettings } from "../../build/settings.ts";
import type { Config } from "../../config/schema.ts";

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
