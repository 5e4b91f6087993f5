// Checks that a real part is up before a real-parts test uses it. A missing part
// fails the test with the script to run; it is never skipped.
import Dockerode from "dockerode";

export const realPartsScript = "scripts/real-parts.sh";

export async function requireDockerEngine(env: NodeJS.ProcessEnv = process.env): Promise<Dockerode> {
  const host = env.DOCKER_HOST;
  const docker = new Dockerode(
    host?.startsWith("unix://")
      ? { socketPath: host.slice(7) }
      : host
        ? undefined
        : { socketPath: "/var/run/docker.sock" },
  );
  try {
    await (docker.ping as unknown as (options: { abortSignal: AbortSignal }) => Promise<unknown>)({
      abortSignal: AbortSignal.timeout(5000),
    });
    return docker;
  } catch (error) {
    throw new Error(
      `Docker Engine not reachable (${host ?? "unix:///var/run/docker.sock"}): ${(error as Error).message}. Run \`sudo ${realPartsScript}\` to install and start the real parts.`,
    );
  }
}

export async function requireRegistry(address = "127.0.0.1:5000"): Promise<string> {
  try {
    const response = await fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(5000) });
    if (response.status !== 200 && response.status !== 401) throw new Error(`HTTP ${response.status}`);
    return address;
  } catch (error) {
    throw new Error(
      `image registry not reachable at http://${address}/v2/: ${(error as Error).message}. Run \`sudo ${realPartsScript}\` to install and start the real parts.`,
    );
  }
}

/** HEADs a manifest the way a deployer would, returning its digest (or undefined on 404). */
export async function registryDigest(
  address: string,
  name: string,
  tag: string,
  authorization?: string,
): Promise<string | undefined> {
  const response = await fetch(`http://${address}/v2/${name}/manifests/${tag}`, {
    method: "HEAD",
    headers: {
      Accept: "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
      ...(authorization ? { Authorization: authorization } : {}),
    },
    signal: AbortSignal.timeout(5000),
  });
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw new Error(`HEAD ${name}:${tag}: HTTP ${response.status}`);
  return response.headers.get("docker-content-digest") ?? undefined;
}
