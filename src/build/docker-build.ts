// Runs one image build on the engine and follows its stream step by step.
// A failed step is reported inside the stream (HTTP 200), so success is only
// declared when the stream ended without an error message and named an image.
import type Dockerode from "dockerode";
import type { Reporter } from "../output/types.ts";
import { createBuildContext } from "./build-context.ts";
import { BuildFailedError, DockerEngineError } from "./errors.ts";
import { readEngineStream } from "./json-stream.ts";
import type { ImageSettings } from "./settings.ts";

const keptOutputLines = 20;
// Docker's ANSI colouring of RUN's stderr; stripped so messages read clean.
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is exactly what is being matched.
const ansi = /\u001b\[[0-9;]*m/g;

export interface BuildImageOptions {
  docker: Dockerode;
  settings: ImageSettings;
  imageName: string;
  labels: Record<string, string>;
  reporter: Reporter;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Files left out of the context: grayctl's own CI reports. */
  ownFiles?: ReadonlySet<string>;
}

/** Builds settings.context as imageName; returns the image ID. */
export async function buildImage(options: BuildImageOptions): Promise<string> {
  const { settings, reporter } = options;
  const context = await createBuildContext(settings.context, settings.dockerfile, options.ownFiles);
  reporter.debug(`build context: ${context.fileCount} files from ${settings.context}`);

  const progress = reporter.start("build", `Building ${options.imageName}`);
  let step: string | undefined;
  let output: string[] = [];
  let imageId: string | undefined;
  let failure: string | undefined;
  const onMessage = (message: Parameters<Parameters<typeof readEngineStream>[1]>[0]) => {
    if (message.error || message.errorDetail) {
      failure = (message.errorDetail?.message ?? message.error ?? "unknown error").trim();
      return;
    }
    if (message.aux?.ID) imageId = message.aux.ID;
    for (const rawLine of (message.stream ?? "").split("\n")) {
      const line = rawLine.replace(ansi, "").trimEnd();
      if (!line) continue;
      const stepMatch = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
      if (stepMatch) {
        step = `Step ${stepMatch[1]}/${stepMatch[2]} : ${stepMatch[3]}`;
        output = [];
        progress.update(step);
        reporter.event("build.step", {
          step: Number(stepMatch[1]),
          total: Number(stepMatch[2]),
          instruction: stepMatch[3],
        });
        continue;
      }
      const built = /^Successfully built ([0-9a-f]+)$/.exec(line);
      if (built && !imageId) imageId = built[1];
      output.push(line);
      if (output.length > keptOutputLines) output.shift();
      reporter.debug(line);
    }
  };

  try {
    let response: NodeJS.ReadableStream;
    try {
      response = await options.docker.buildImage(context.stream, {
        t: options.imageName,
        dockerfile: settings.dockerfile,
        buildargs: settings.buildArgs,
        labels: options.labels,
        target: settings.target,
        platform: settings.platform,
        rm: true,
        forcerm: true,
        abortSignal: options.signal,
      } as Dockerode.ImageBuildOptions);
    } catch (error) {
      throw new DockerEngineError(`the Docker Engine refused the build: ${engineMessage(error)}`, undefined, error);
    }
    await readEngineStream(response as unknown as import("node:stream").Readable, onMessage, {
      what: `docker build of ${options.imageName}`,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    });
    if (failure) throw new BuildFailedError(failure, step, output);
    if (!imageId) throw new BuildFailedError("the engine ended the build without naming an image", step, output);
    progress.succeed(`Built ${options.imageName} (${imageId.replace(/^sha256:/, "").slice(0, 12)})`, { imageId });
    return imageId;
  } catch (error) {
    progress.fail(`Build of ${options.imageName} failed${step ? ` at ${step}` : ""}`, { step });
    throw error;
  }
}

/** dockerode errors carry the engine's JSON body in .json.message. */
export function engineMessage(error: unknown): string {
  const body = (error as { json?: { message?: string } }).json;
  return body?.message ?? (error as Error).message;
}
