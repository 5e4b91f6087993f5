// Finds the kubeconfig as kubectl (client-go's clientcmd) does, so grayctl
// talks to the cluster kubectl talks to:
//   1. --kubeconfig FILE: that file alone, and it must exist;
//   2. KUBECONFIG=a:b:c: every listed file that exists, merged — the first file
//      that names a cluster, user or context wins it whole, and current-context
//      comes from the first file that sets one (missing files are skipped);
//   3. ~/.kube/config;
//   4. none of these holds anything: the in-cluster configuration, when
//      KUBERNETES_SERVICE_HOST/PORT are set and the pod's ServiceAccount token is
//      mounted (in-cluster.ts);
//   5. otherwise exit 2, saying where it looked. (client-node would fall back to
//      http://localhost:8080 and fail later with a confusing message.)
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { UsageError } from "../errors.ts";
import { inClusterConfig, inClusterProblem, SERVICE_ACCOUNT_DIR } from "./in-cluster.ts";

export interface KubeconfigSource {
  /** --kubeconfig */
  kubeconfig?: string;
  env: Record<string, string | undefined>;
  /** Where the pod's ServiceAccount is mounted (tests point it elsewhere: in-cluster.ts). */
  serviceAccountDir?: string;
}

export interface LoadedKubeconfig {
  config: KubeConfig;
  /** Where it came from, for messages: "--kubeconfig FILE", "KUBECONFIG (a, b)", "~/.kube/config", "in-cluster". */
  origin: string;
  /** The in-cluster configuration's namespace (POD_NAMESPACE, else the mounted namespace file). */
  inClusterNamespace?: string;
}

export function loadKubeconfig(source: KubeconfigSource): LoadedKubeconfig {
  if (source.kubeconfig) return { config: loadFiles([source.kubeconfig]), origin: `--kubeconfig ${source.kubeconfig}` };
  const looked: string[] = [];
  const listed = source.env.KUBECONFIG;
  let config: KubeConfig | undefined;
  let origin = "";
  if (listed) {
    // kubectl drops empty entries and repeats, and skips files that do not exist.
    const files = [...new Set(listed.split(delimiter).filter(Boolean))];
    const present = files.filter((file) => existsSync(file));
    looked.push(`KUBECONFIG lists ${files.join(", ")}${present.length ? "" : ", none of which exists"}`);
    if (present.length > 0) {
      config = loadFiles(present);
      origin = `KUBECONFIG (${present.join(", ")})`;
    }
  } else {
    looked.push("KUBECONFIG is not set");
    const home = join(source.env.HOME || homedir(), ".kube", "config");
    if (existsSync(home)) {
      config = loadFiles([home]);
      origin = home;
    } else looked.push(`${home} does not exist`);
  }
  if (config && !isEmpty(config)) return { config, origin };
  if (config) looked.push(`${origin} holds no contexts`);
  const dir = source.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const inCluster = inClusterConfig(source.env, dir);
  if (inCluster) return { config: inCluster.config, origin: "in-cluster", inClusterNamespace: inCluster.namespace };
  looked.push(inClusterProblem(source.env, dir));
  throw new UsageError(
    `no kubeconfig found: ${looked.join("; ")}`,
    "Pass --kubeconfig FILE, set KUBECONFIG=FILE, or write ~/.kube/config (`kubectl config view` shows what kubectl would use).",
  );
}

/** Loads the files in order and merges them, the first file winning every name and the current context. */
function loadFiles(files: string[]): KubeConfig {
  const merged = new KubeConfig();
  merged.loadFromOptions({ clusters: [], users: [], contexts: [], currentContext: "" });
  for (const file of files) {
    const one = new KubeConfig();
    try {
      // An empty file is an empty kubeconfig to kubectl; js-yaml would call it malformed.
      if (readFileSync(file, "utf8").trim() !== "") one.loadFromFile(file);
      else one.loadFromOptions({ clusters: [], users: [], contexts: [], currentContext: "" });
    } catch (error) {
      throw new UsageError(
        `cannot read kubeconfig ${file}: ${kubeconfigProblem(error)}`,
        "Pass --kubeconfig FILE or set KUBECONFIG.",
      );
    }
    const firstWins = <T extends { name: string }>(into: T[], from: T[]) => {
      for (const entry of from) if (!into.some((known) => known.name === entry.name)) into.push(entry);
    };
    firstWins(merged.clusters, one.clusters);
    firstWins(merged.users, one.users);
    firstWins(merged.contexts, one.contexts);
    if (!merged.currentContext && one.currentContext) merged.currentContext = one.currentContext;
  }
  return merged;
}

function isEmpty(config: KubeConfig): boolean {
  return config.clusters.length === 0 && config.contexts.length === 0 && config.users.length === 0;
}

/**
 * Why a kubeconfig could not be read, without quoting it: the YAML parser's
 * message carries a snippet of the file, and a kubeconfig holds tokens.
 */
function kubeconfigProblem(error: unknown): string {
  const yaml = error as { name?: string; reason?: string; mark?: { line: number; column: number } };
  if (yaml?.name === "YAMLException") {
    const where = yaml.mark ? ` at line ${yaml.mark.line + 1}, column ${yaml.mark.column + 1}` : "";
    return `not valid YAML (${yaml.reason ?? "syntax error"}${where})`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * The namespace of the context grayctl would use (--context, else the current one), or
 * undefined when it names none or no kubeconfig can be read (the command that
 * connects reports that; `validate` does not need a cluster).
 */
export function contextNamespace(source: KubeconfigSource & { context?: string }): string | undefined {
  try {
    const { config, inClusterNamespace } = loadKubeconfig(source);
    if (inClusterNamespace) return inClusterNamespace;
    return config.getContextObject(source.context || config.getCurrentContext())?.namespace || undefined;
  } catch {
    return undefined;
  }
}
