// Connects to the cluster named by --kubeconfig/--context (or KUBECONFIG, or
// ~/.kube/config, or the in-cluster configuration: kubeconfig.ts) with
// @kubernetes/client-node, through HTTPS_PROXY when the environment says so. Loaded lazily: only commands
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
  type KubeConfig,
  KubernetesObjectApi,
  NetworkingV1Api,
  Observable,
  type RequestContext,
  ServerConfiguration,
} from "@kubernetes/client-node";
import { readFileSync } from "node:fs";
import { UsageError } from "../errors.ts";
import { connectionError } from "./errors.ts";
import { proxyFor } from "../util/proxy-env.ts";
import { boundExecPlugins } from "./exec-plugin.ts";
import { tokenFileOf } from "./in-cluster.ts";
import { loadKubeconfig } from "./kubeconfig.ts";
import { tokenExpiryWarning } from "./token-expiry.ts";

/** How long one API request may take, answer included. A stalled connection then fails like a reset one, and is retried. */
export const REQUEST_TIMEOUT_MS = 10_000;

export interface ConnectOptions {
  kubeconfig?: string;
  /** Where a pod's ServiceAccount is mounted; tests only (in-cluster.ts). */
  serviceAccountDir?: string;
  context?: string;
  env: Record<string, string | undefined>;
  /** Receives credentials found in the kubeconfig (and those exec plugins hand out) so output can redact them. */
  redact: (secret: string) => void;
  /** Receives warnings: a kubeconfig token that expires within a week (token-expiry.ts). */
  warn?: (message: string) => void;
  now?: () => Date;
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
  /** The current context's user, for messages (never its credentials). */
  userName?: string;
  /** The current context's namespace, when it names one. */
  contextNamespace?: string;
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
    const url = request.getUrl();
    // undici says "fetch failed" and hides why in its cause: name it (refused, unresolvable, TLS) with the server.
    return new Observable(
      this.fetch
        .send(request)
        .toPromise()
        .catch((error: unknown) => {
          throw connectionError(error, url) ?? error;
        }),
    );
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
  const { config, origin } = loadKubeconfig(options);
  if (options.context) {
    if (!config.getContextObject(options.context)) {
      const known = config.getContexts().map((c) => c.name);
      throw new UsageError(
        `--context: no context "${options.context}" in the kubeconfig (${origin})`,
        `Known contexts: ${known.join(", ") || "none"}.`,
      );
    }
    config.setCurrentContext(options.context);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster)
    throw new UsageError(
      `the kubeconfig (${origin}) has no current cluster`,
      "Pass --context NAME or fix current-context in the kubeconfig.",
    );
  const user = config.getCurrentUser();
  const fileToken = tokenFileOf(user);
  for (const secret of [user?.token, user?.password, user?.keyData, cluster.caData, fileToken])
    if (secret) options.redact(secret);
  for (const variable of user?.exec?.env ?? []) if (variable.value) options.redact(variable.value);
  // An auth-provider's id-token, refresh-token and client-secret, and a client key kept in a file, are credentials too.
  for (const [name, value] of Object.entries((user?.authProvider?.config ?? {}) as Record<string, unknown>))
    if (typeof value === "string" && value && /token|secret|key|password/i.test(name)) options.redact(value);
  const keyFromFile = user?.keyFile ? readIfPresent(user.keyFile) : undefined;
  if (keyFromFile) options.redact(keyFromFile);
  // Only a token written into the kubeconfig: the kubelet rotates an in-cluster one, a plugin's is short-lived by design.
  const expiry = tokenExpiryWarning(
    user?.token,
    { user: user?.name, context: config.getCurrentContext() },
    options.now?.() ?? new Date(),
  );
  if (expiry) options.warn?.(expiry);
  // kubectl takes HTTPS_PROXY/NO_PROXY from the environment unless the cluster names its own proxy-url.
  const proxy = cluster.proxyUrl ? undefined : proxyFor(cluster.server, options.env);
  if (proxy) (cluster as { proxyUrl?: string }).proxyUrl = proxy;
  const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  // A plugin may call its cloud's token endpoint: three requests' worth of time (30 s by default).
  boundExecPlugins(config, options.redact, 3 * requestTimeoutMs);
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: config },
    httpApi: (options.wrapHttp ?? ((http) => http))(new TimedHttp(requestTimeoutMs, options.userAgent)),
  });
  const objects = ObjectApi.of(configuration, config);
  const context = config.getContextObject(config.getCurrentContext());
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
    userName: user?.name,
    contextNamespace: context?.namespace || undefined,
  };
}

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}
