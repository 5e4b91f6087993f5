// Pushes repository:tag through the engine and returns the manifest digest the
// registry stored. Push failures also arrive inside an HTTP 200 stream.
import type Dockerode from "dockerode";
import type { Reporter } from "../output/types.ts";
import type { RegistryCredentials } from "./credentials.ts";
import { engineAuthConfig } from "./credentials.ts";
import { engineMessage } from "./docker-build.ts";
import { DockerEngineError, RegistryError } from "./errors.ts";
import type { RepositoryRef } from "./image-ref.ts";
import { readEngineStream } from "./json-stream.ts";

export interface PushOptions {
  docker: Dockerode;
  ref: RepositoryRef;
  tag: string;
  credentials: RegistryCredentials | undefined;
  reporter: Reporter;
  timeoutMs: number;
  signal?: AbortSignal;
}

export async function pushImage(options: PushOptions): Promise<string | undefined> {
  const { ref, tag, reporter } = options;
  const imageName = `${ref.repository}:${tag}`;
  const progress = reporter.start("push", `Pushing ${imageName}`);
  const layers = new Map<string, string>();
  let digest: string | undefined;
  let failure: string | undefined;
  try {
    let response: NodeJS.ReadableStream;
    try {
      response = await options.docker.getImage(ref.repository).push({
        // The tag is explicit: without it the engine pushes every local tag of the repository.
        tag,
        authconfig: engineAuthConfig(options.credentials, ref.credentialKey),
        abortSignal: options.signal,
      } as Parameters<Dockerode.Image["push"]>[0]);
    } catch (error) {
      throw new DockerEngineError(
        `the Docker Engine refused to push ${imageName}: ${engineMessage(error)}`,
        undefined,
        error,
      );
    }
    await readEngineStream(
      response as unknown as import("node:stream").Readable,
      (message) => {
        if (message.error || message.errorDetail) {
          failure = (message.errorDetail?.message ?? message.error ?? "unknown error").trim();
          return;
        }
        if (message.aux?.Digest) digest = message.aux.Digest;
        if (message.id && message.status) {
          layers.set(message.id, message.status);
          const done = [...layers.values()].filter((status) => /^(Pushed|Layer already exists)$/.test(status)).length;
          progress.update(`Pushing ${imageName}: ${done}/${layers.size} layers`);
        } else if (message.status) {
          reporter.debug(message.status);
          // "<tag>: digest: sha256:… size: N" precedes aux on engines that send both.
          const line = /digest: (sha256:[0-9a-f]{64})/.exec(message.status);
          if (line && !digest) digest = line[1];
        }
      },
      { what: `docker push of ${imageName}`, timeoutMs: options.timeoutMs, signal: options.signal },
    );
    if (failure) throw pushFailure(failure, ref);
    progress.succeed(`Pushed ${imageName}`, { digest });
    return digest;
  } catch (error) {
    progress.fail(`Push of ${imageName} failed`);
    throw error;
  }
}

function pushFailure(message: string, ref: RepositoryRef): RegistryError {
  const unauthorized = /unauthori[sz]ed|authentication required|no basic auth credentials|denied/i.test(message);
  return new RegistryError(`push to ${ref.registryHost} failed: ${message}`, {
    user: unauthorized,
    hint: unauthorized
      ? `Run \`docker login ${ref.registryHost}\`, or set GRAYCTL_REGISTRY_USERNAME and GRAYCTL_REGISTRY_PASSWORD`
      : undefined,
  });
}
