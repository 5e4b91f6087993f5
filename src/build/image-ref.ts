// Splits image.repository into the registry host and the repository name the
// registry API uses, the way the Docker CLI does (Docker Hub included).
import { BuildUserError } from "./errors.ts";

export interface RepositoryRef {
  /** as configured, e.g. localhost:5000/shop/checkout */
  repository: string;
  /** host[:port] of the registry API, e.g. localhost:5000 or registry-1.docker.io */
  registryHost: string;
  /** key under which Docker stores credentials (config.json auths, helpers) */
  credentialKey: string;
  /** the path part, e.g. shop/checkout (library/x on Docker Hub) */
  name: string;
}

const dockerHubKey = "https://index.docker.io/v1/";

export function parseRepository(repository: string): RepositoryRef {
  if (!/^[a-z0-9]/.test(repository) || /[@\s]/.test(repository)) {
    throw new BuildUserError(
      `image.repository "${repository}" is not a repository name (e.g. registry.example.com/team/app)`,
    );
  }
  const slash = repository.indexOf("/");
  const first = slash === -1 ? "" : repository.slice(0, slash);
  // Docker's rule: the first component is a registry when it has a dot or a port, or is localhost.
  const isRegistry = first.includes(".") || first.includes(":") || first === "localhost";
  const name = isRegistry ? repository.slice(slash + 1) : repository;
  const lastComponent = name.split("/").pop() ?? "";
  if (lastComponent.includes(":")) {
    throw new BuildUserError(
      `image.repository "${repository}" contains a tag; grayctl sets the tag from git`,
      `Use image.repository: ${repository.slice(0, repository.lastIndexOf(":"))}`,
    );
  }
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(name)) {
    throw new BuildUserError(
      `image.repository "${repository}": "${name}" is not a valid repository path (lowercase, digits, . _ - /)`,
    );
  }
  if (!isRegistry || first === "docker.io" || first === "index.docker.io") {
    const hubName = name.includes("/") ? name : `library/${name}`;
    return { repository, registryHost: "registry-1.docker.io", credentialKey: dockerHubKey, name: hubName };
  }
  return { repository, registryHost: first, credentialKey: first, name };
}

/** Registries spoken to over plain HTTP: loopback, plus GRAYCTL_INSECURE_REGISTRIES (comma-separated hosts). */
export function registryScheme(registryHost: string, env: NodeJS.ProcessEnv): "http" | "https" {
  const hostname = registryHost.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  if (hostname === "localhost" || hostname === "::1" || /^127\./.test(hostname)) return "http";
  const insecure = (env.GRAYCTL_INSECURE_REGISTRIES ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  return insecure.includes(registryHost) || insecure.includes(hostname) ? "http" : "https";
}
