// Kubeconfigs for the real control plane: the API server's own CA (from the
// self-signed bundle it wrote to --cert-dir) and a bearer token, so kubectl,
// client-node and grayctl verify TLS exactly as against any cluster.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { stringify } from "yaml";

export interface ClusterKubeconfig {
  server: string;
  caPem: string;
  token: string;
  user: string;
  namespace?: string;
  context?: string;
}

export function clusterKubeconfigYaml(options: ClusterKubeconfig): string {
  const name = options.context ?? "grayctl-cluster";
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name,
        cluster: {
          server: options.server,
          "certificate-authority-data": Buffer.from(options.caPem).toString("base64"),
        },
      },
    ],
    users: [{ name: options.user, user: { token: options.token } }],
    contexts: [{ name, context: { cluster: name, user: options.user, namespace: options.namespace ?? "default" } }],
    "current-context": name,
    preferences: {},
  });
}

/** Writes the kubeconfig with mode 0600 (it holds a token) and returns its path. */
export async function writeClusterKubeconfig(path: string, options: ClusterKubeconfig): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, clusterKubeconfigYaml(options), { mode: 0o600 });
  return path;
}
