// The pods/proxy and services/proxy subresources: any method, path and query
// forwarded to the pod's process on 127.0.0.1 (its host port comes from the
// runtime's annotation). `kubectl get --raw .../pods/NAME:8080/proxy/healthz`
// reaches the real process this way.
import { request } from "node:http";
import { hostAndPort, hostPortOf, serviceEndpoints } from "../endpoints.ts";
import { R } from "../resources.ts";
import type { RequestContext } from "./context.ts";
import { apiError, sendError } from "./status.ts";

const UPSTREAM_TIMEOUT_MS = 30_000;
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "proxy-connection",
  "te",
  "trailer",
]);

/** "name", "name:port" or "scheme:name:port". */
function splitTarget(target: string): { name: string; port?: string } {
  const parts = target.split(":");
  if (parts.length === 3) return { name: parts[1], port: parts[2] || undefined };
  return { name: parts[0], port: parts[1] || undefined };
}

const unavailable = (message: string) => apiError(503, "ServiceUnavailable", message);

/** The sandbox pod (127.0.0.1 and its host port) or Service endpoint a proxy request goes to. */
function resolveTarget(ctx: RequestContext): { host: string; port: number } {
  const { route, store } = ctx;
  const { name, port } = splitTarget(route.name as string);
  const namespace = route.namespace ?? "default";
  if (route.type === R.pods) {
    const pod = store.mustGet(R.pods, namespace, name);
    const containerPort = port ?? pod.spec?.containers?.[0]?.ports?.[0]?.containerPort ?? 80;
    const hostPort = hostPortOf(
      pod,
      /^\d+$/.test(String(containerPort)) ? Number(containerPort) : String(containerPort),
    );
    if (hostPort === undefined)
      throw unavailable(`pod "${name}" is not running (no process serves port ${containerPort})`);
    return { host: "127.0.0.1", port: hostPort };
  }
  store.mustGet(R.services, namespace, name);
  const endpoints = serviceEndpoints(
    store,
    namespace,
    name,
    port === undefined ? undefined : /^\d+$/.test(port) ? Number(port) : port,
  );
  if (endpoints.length === 0) throw unavailable(`no endpoints available for service "${name}"`);
  const endpoint = endpoints[Math.floor(Math.random() * endpoints.length)];
  return { host: endpoint.host, port: endpoint.port };
}

export function handleProxy(ctx: RequestContext): void {
  const { route, req, res } = ctx;
  if (route.type !== R.pods && route.type !== R.services)
    throw apiError(404, "NotFound", `${route.type.plural} have no proxy subresource`);
  const target = resolveTarget(ctx);
  const search = new URL(req.url ?? "/", "http://sandbox").search;
  const headers: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_BY_HOP.has(key) || key === "authorization" || key === "host") continue;
    headers[key] = value;
  }
  headers.host = hostAndPort(target);
  const upstream = request(
    {
      host: target.host,
      port: target.port,
      method: req.method,
      path: `${route.rest ?? "/"}${search}`,
      headers,
      timeout: UPSTREAM_TIMEOUT_MS,
    },
    (answer) => {
      const out: Record<string, string | string[]> = {};
      for (const [key, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(key)) out[key] = value;
      }
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
    },
  );
  upstream.on("timeout", () => upstream.destroy(new Error("timeout awaiting response")));
  upstream.on("error", (error) => sendError(res, unavailable(`error trying to reach service: ${error.message}`)));
  req.pipe(upstream);
}
