// Connects to the cluster named by --kubeconfig/--context (or KUBECONFIG, or
// ~/.kube/config) with @kubernetes/client-node. Loaded lazily: only commands
// that talk to a cluster import this module.
//
// Every request has a deadline (client-node sends through undici's fetch with
// no timeout of its own, so a stalled connection would wait forever) and says
// which grayctl process sent it in its User-Agent; exec credential plugins
// (client-node spawns them with no timeout either) are bounded too.
import {
  AppsV1Api,
  AutoscalingV2Api,
  CoordinationV1Api,
  CoreV1Api,
  createConfiguration,
  type HttpLibrary,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  KubernetesObjectApi,
  NetworkingV1Api,
  type RequestContext,
  ServerConfiguration,
} from "@kubernetes/client-node";
import { UsageError } from "../errors.ts";
import { boundExecPlugins } from "./exec-plugin.ts";

/** How long one API request may take, answer included. A stalled connection then fails like a reset one, and is retried. */
export const REQUEST_TIMEOUT_MS = 10_000;

export interface ConnectOptions {
  kubeconfig?: string;
  context?: string;
  env: Record<string, string | undefined>;
  /** Receives credentials found in the kubeconfig (and those exec plugins hand out) so output can redact them. */
  redact: (secret: string) => void;
  /** Sent with every request, so the API server (and its audit log) can tell grayctl processes apart. */
  userAgent?: string;
  requestTimeoutMs?: number;
  /** Wraps the transport: `grayctl plan` answers writes itself and sends only reads (dry-run-http.ts). */
  wrapHttp?: (http: HttpLibrary) => HttpLibrary;
}

export interface KubeClients {
  config: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  autoscaling: AutoscalingV2Api;
  coordination: CoordinationV1Api;
  networking: NetworkingV1Api;
  objects: KubernetesObjectApi;
  server: string;
  contextName: string;
}

/** A request that got no answer in time; its code makes it a transient failure, retried like a reset connection. */
export class RequestTimeoutError extends Error {
  readonly code = "ETIMEDOUT";
  constructor(timeoutMs: number) {
    super(`no answer from the Kubernetes API within ${timeoutMs / 1000}s`);
  }
}

/** client-node's fetch, with a deadline and grayctl's User-Agent on every request. */
class TimedHttp implements HttpLibrary {
  private readonly fetch = new IsomorphicFetchHttpLibrary();
  private readonly timeoutMs: number;
  private readonly userAgent?: string;

  constructor(timeoutMs: number, userAgent?: string) {
    this.timeoutMs = timeoutMs;
    this.userAgent = userAgent;
  }

  send(request: RequestContext) {
    if (this.userAgent) request.setHeaderParam("User-Agent", this.userAgent);
    const timeout = new AbortController();
    // Runs out harmlessly after a request that finished; unref'd so it never holds the process.
    setTimeout(() => timeout.abort(new RequestTimeoutError(this.timeoutMs)), this.timeoutMs).unref();
    const caller = request.getSignal();
    request.setSignal(caller ? AbortSignal.any([caller, timeout.signal]) : timeout.signal);
    return this.fetch.send(request);
  }
}

/** KubernetesObjectApi.makeApiClient, with our configuration. */
class ObjectApi extends KubernetesObjectApi {
  static of(configuration: ReturnType<typeof createConfiguration>, config: KubeConfig): KubernetesObjectApi {
    const objects = new ObjectApi(configuration);
    objects.setDefaultNamespace(config);
    return objects;
  }
}

export function connect(options: ConnectOptions): KubeClients {
  const config = new KubeConfig();
  const file = options.kubeconfig ?? options.env.KUBECONFIG?.split(":")[0];
  try {
    if (file) config.loadFromFile(file);
    else config.loadFromDefault();
  } catch (error) {
    throw new UsageError(
      `cannot read kubeconfig ${file ?? "~/.kube/config"}: ${kubeconfigProblem(error)}`,
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
  for (const variable of user?.exec?.env ?? []) if (variable.value) options.redact(variable.value);
  const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  // A plugin may call its cloud's token endpoint: three requests' worth of time (30 s by default).
  boundExecPlugins(config, options.redact, 3 * requestTimeoutMs);
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: config },
    httpApi: (options.wrapHttp ?? ((http) => http))(new TimedHttp(requestTimeoutMs, options.userAgent)),
  });
  const objects = ObjectApi.of(configuration, config);
  return {
    config,
    core: new CoreV1Api(configuration),
    apps: new AppsV1Api(configuration),
    autoscaling: new AutoscalingV2Api(configuration),
    coordination: new CoordinationV1Api(configuration),
    networking: new NetworkingV1Api(configuration),
    objects,
    server: cluster.server,
    contextName: config.getCurrentContext(),
  };
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
