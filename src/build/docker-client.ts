// Connects to the Docker Engine named by DOCKER_HOST (unix:// or tcp://), else
// the default socket, and proves it answers before anything else is attempted.
import Dockerode from "dockerode";
import { BuildUserError, DockerEngineError } from "./errors.ts";

const defaultSocket = "/var/run/docker.sock";

export function dockerOptions(env: NodeJS.ProcessEnv): Dockerode.DockerOptions {
  const host = env.DOCKER_HOST?.trim();
  if (!host) return { socketPath: defaultSocket };
  if (host.startsWith("unix://")) return { socketPath: host.slice("unix://".length) };
  if (host.startsWith("tcp://")) {
    const url = new URL(`http://${host.slice("tcp://".length)}`);
    const tls = Boolean(env.DOCKER_TLS_VERIFY);
    if (tls) {
      throw new BuildUserError(
        `DOCKER_HOST=${host} with DOCKER_TLS_VERIFY is not supported yet`,
        "Use a unix socket or an SSH tunnel to the engine's socket",
      );
    }
    return { host: url.hostname, port: Number(url.port || 2375), protocol: "http" };
  }
  throw new BuildUserError(`DOCKER_HOST=${host} is not a unix:// or tcp:// address`);
}

export function describeEngine(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_HOST?.trim()
    ? `DOCKER_HOST=${env.DOCKER_HOST.trim()}`
    : `unix://${defaultSocket} (DOCKER_HOST unset)`;
}

/** Pings the engine with a deadline; turns every way of not answering into one clear error. */
export async function connectDocker(
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  given?: Dockerode,
): Promise<Dockerode> {
  const docker = given ?? new Dockerode(dockerOptions(env));
  const timeout = AbortSignal.timeout(timeoutMs);
  const abortSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
  try {
    // dockerode's ping takes options with abortSignal; @types/dockerode lags behind.
    await (docker.ping as unknown as (options: { abortSignal: AbortSignal }) => Promise<unknown>)({ abortSignal });
    return docker;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const reason = timeout.aborted
      ? `no answer within ${Math.round(timeoutMs / 1000)} s`
      : ((error as NodeJS.ErrnoException).code ?? (error as Error).message);
    throw new DockerEngineError(
      `cannot reach the Docker Engine at ${describeEngine(env)}: ${reason}`,
      "Start the engine (`sudo systemctl start docker`, or `dockerd &`; scripts/real-parts.sh on a test machine), or point DOCKER_HOST at a running one (unix:///path/docker.sock or tcp://host:2375)",
      error,
    );
  }
}
