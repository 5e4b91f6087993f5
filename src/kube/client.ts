// Connects to the cluster named by --kubeconfig/--context (or KUBECONFIG, or
// ~/.kube/config) with @kubernetes/client-node. Loaded lazily: only commands
// that talk to a cluster import this module.
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  NetworkingV1Api,
} from "@kubernetes/client-node";
import { UsageError } from "../errors.ts";

export interface ConnectOptions {
  kubeconfig?: string;
  context?: string;
  env: Record<string, string | undefined>;
  /** Receives credentials found in the kubeconfig so output can redact them. */
  redact: (secret: string) => void;
}

export interface KubeClients {
  config: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  coordination: CoordinationV1Api;
  networking: NetworkingV1Api;
  objects: KubernetesObjectApi;
  server: string;
  contextName: string;
}

export function connect(options: ConnectOptions): KubeClients {
  const config = new KubeConfig();
  const file = options.kubeconfig ?? options.env.KUBECONFIG?.split(":")[0];
  try {
    if (file) config.loadFromFile(file);
    else config.loadFromDefault();
  } catch (error) {
    throw new UsageError(
      `cannot read kubeconfig ${file ?? "~/.kube/config"}: ${(error as Error).message}`,
      "Pass --kubeconfig FILE or set KUBECONFIG.",
    );
  }
  if (options.context) {
    if (!config.getContextObject(options.context)) {
      const known = config.getContexts().map((c) => c.name);
      throw new UsageError(
        `--context: no context "${options.context}" in the kubeconfig`,
        `Known contexts: ${known.join(", ") || "none"}.`,
      );
    }
    config.setCurrentContext(options.context);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster)
    throw new UsageError(
      "the kubeconfig has no current cluster",
      "Pass --context NAME or fix current-context in the kubeconfig.",
    );
  const user = config.getCurrentUser();
  for (const secret of [user?.token, user?.password, user?.keyData, cluster.caData]) if (secret) options.redact(secret);
  return {
    config,
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    coordination: config.makeApiClient(CoordinationV1Api),
    networking: config.makeApiClient(NetworkingV1Api),
    objects: KubernetesObjectApi.makeApiClient(config),
    server: cluster.server,
    contextName: config.getCurrentContext(),
  };
}
