// A kubeconfig pointing at the sandbox, so kubectl, client-node and grayctl reach
// it exactly as they would a real cluster. The token is a dummy the sandbox
// checks, which proves a client really used this file.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { stringify } from "yaml";

export const CONTEXT_NAME = "sandbox";

export interface KubeconfigOptions {
  server: string;
  token: string;
  namespace?: string;
}

export function kubeconfigYaml(options: KubeconfigOptions): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    // client-node refuses a plain-http server unless insecure-skip-tls-verify is set.
    clusters: [{ name: CONTEXT_NAME, cluster: { server: options.server, "insecure-skip-tls-verify": true } }],
    users: [{ name: CONTEXT_NAME, user: { token: options.token } }],
    contexts: [
      {
        name: CONTEXT_NAME,
        context: { cluster: CONTEXT_NAME, user: CONTEXT_NAME, namespace: options.namespace ?? "default" },
      },
    ],
    "current-context": CONTEXT_NAME,
    preferences: {},
  });
}

/** Writes the kubeconfig (mode 0600, as it holds a token) and returns its path. */
export async function writeKubeconfig(path: string, options: KubeconfigOptions): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, kubeconfigYaml(options), { mode: 0o600 });
  return path;
}
