// The in-cluster configuration, as client-go's rest.InClusterConfig builds it
// for a process in a pod (a CI runner inside the cluster): the API server at
// https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, the pod's
// ServiceAccount token and the cluster CA from the mounted ServiceAccount
// directory, and its namespace from POD_NAMESPACE or the mounted namespace file.
//
// client-node's own loadFromCluster is not used: it switches to plain http for
// ports 80, 8080 and 8001, which client-go never does.
import { existsSync, readFileSync, statSync } from "node:fs";
import { isIPv6 } from "node:net";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";

/** Where the kubelet mounts a pod's ServiceAccount token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export const IN_CLUSTER_CONTEXT = "in-cluster";

/** client-go's InClusterConfig.Possible(): both variables set and a token file mounted. */
function possible(env: Record<string, string | undefined>, dir: string): boolean {
  if (!env.KUBERNETES_SERVICE_HOST || !env.KUBERNETES_SERVICE_PORT) return false;
  try {
    return statSync(join(dir, "token")).isFile();
  } catch {
    return false;
  }
}

export function inClusterConfig(
  env: Record<string, string | undefined>,
  dir: string,
): { config: KubeConfig; namespace: string } | undefined {
  if (!possible(env, dir)) return undefined;
  const host = env.KUBERNETES_SERVICE_HOST as string;
  const server = `https://${isIPv6(host) ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT}`;
  const namespaceFile = join(dir, "namespace");
  const namespace =
    env.POD_NAMESPACE || (existsSync(namespaceFile) ? readFileSync(namespaceFile, "utf8").trim() : "") || "default";
  const config = new KubeConfig();
  const caFile = join(dir, "ca.crt");
  config.loadFromOptions({
    clusters: [
      { name: IN_CLUSTER_CONTEXT, server, caFile: existsSync(caFile) ? caFile : undefined, skipTLSVerify: false },
    ],
    // client-node's tokenFile provider re-reads the file, as the kubelet rotates the projected token.
    users: [
      { name: IN_CLUSTER_CONTEXT, authProvider: { name: "tokenFile", config: { tokenFile: join(dir, "token") } } },
    ],
    contexts: [{ name: IN_CLUSTER_CONTEXT, cluster: IN_CLUSTER_CONTEXT, user: IN_CLUSTER_CONTEXT, namespace }],
    currentContext: IN_CLUSTER_CONTEXT,
  });
  return { config, namespace };
}

/** Why the in-cluster configuration was not used, for the "no kubeconfig found" message. */
export function inClusterProblem(env: Record<string, string | undefined>, dir: string): string {
  if (!env.KUBERNETES_SERVICE_HOST || !env.KUBERNETES_SERVICE_PORT)
    return "not inside a cluster (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set)";
  return `KUBERNETES_SERVICE_HOST is set but no ServiceAccount token is mounted at ${join(dir, "token")}`;
}

/** The in-cluster token, read for redaction and the expiry warning (undefined when it is not an in-cluster user). */
export function tokenFileOf(user: { authProvider?: { config?: Record<string, string> } } | null): string | undefined {
  const file = user?.authProvider?.config?.tokenFile;
  if (!file) return undefined;
  try {
    return readFileSync(file, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}
