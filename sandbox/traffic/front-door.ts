// The sandbox's own ingress: a node:http reverse proxy on 127.0.0.1 that routes
// each request as the route table says, picks a ready endpoint round robin and
// proxies the request to it (a sandbox pod's loopback host port, or a real
// cluster's pod IP and port). Responses carry x-sandbox-service and
// x-sandbox-pod so tests and demos can see where a request went.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { hostAndPort } from "../endpoints.ts";
import { backendKey, type Rng } from "./model.ts";
import { resolveRoute } from "./routes.ts";
import type { TrafficState } from "./state.ts";

export interface TrafficStats {
  requests: number;
  /** Status code → count, including the front door's own 404/502/503. */
  statuses: Record<string, number>;
  /** "namespace/service" → requests proxied to it. */
  services: Record<string, number>;
  /** "namespace/pod" → requests proxied to it. */
  pods: Record<string, number>;
}

export interface FrontDoor {
  url: string;
  stats(): TrafficStats;
  stop(): Promise<void>;
}

// Connection-scoped headers must not be forwarded by a proxy (RFC 9110 §7.6.1).
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "upgrade", "te", "trailer"];

function withoutHopByHop(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const copy: http.OutgoingHttpHeaders = { ...headers };
  for (const name of HOP_BY_HOP) delete copy[name];
  return copy;
}

const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

export async function startFrontDoor(
  state: TrafficState,
  options: { port?: number; rng?: Rng } = {},
): Promise<FrontDoor> {
  const rng = options.rng ?? Math.random;
  const agent = new http.Agent({ keepAlive: true });
  const turns = new Map<string, number>();
  const stats: TrafficStats = { requests: 0, statuses: {}, services: {}, pods: {} };

  const answer = (res: http.ServerResponse, status: number, message: string) => {
    bump(stats.statuses, String(status));
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(`${message}\n`);
  };

  const server = http.createServer((req, res) => {
    stats.requests++;
    const path = (req.url ?? "/").split("?")[0];
    const resolution = resolveRoute(state.table(), { host: req.headers.host ?? "", path, headers: req.headers }, rng);
    if (resolution.status === "no-route") return answer(res, 404, `sandbox: no route for ${req.headers.host}${path}`);
    if (resolution.status === "no-backend")
      return answer(res, 503, `sandbox: every backend of ${resolution.rule.origin} has weight 0`);
    const { backend } = resolution;
    const serviceName = `${backend.namespace}/${backend.service}`;
    const endpoints = state.endpoints(backend);
    if (endpoints.length === 0) return answer(res, 503, `sandbox: no ready endpoints for service ${serviceName}`);
    const key = backendKey(backend);
    const turn = turns.get(key) ?? 0;
    turns.set(key, turn + 1);
    const endpoint = endpoints[turn % endpoints.length];
    const podName = endpoint.name;

    const headers = withoutHopByHop(req.headers);
    const forwardedFor = req.headers["x-forwarded-for"];
    headers["x-forwarded-for"] = forwardedFor
      ? `${forwardedFor}, ${req.socket.remoteAddress}`
      : req.socket.remoteAddress;
    headers["x-forwarded-host"] = req.headers.host;
    const upstream = http.request({
      host: endpoint.host,
      port: endpoint.port,
      method: req.method,
      path: req.url,
      headers,
      agent,
    });
    upstream.on("response", (upstreamRes) => {
      bump(stats.statuses, String(upstreamRes.statusCode));
      bump(stats.services, serviceName);
      bump(stats.pods, podName);
      res.writeHead(upstreamRes.statusCode ?? 502, {
        ...withoutHopByHop(upstreamRes.headers),
        "x-sandbox-service": serviceName,
        "x-sandbox-pod": podName,
      });
      upstreamRes.pipe(res);
    });
    upstream.on("error", (error) => {
      if (res.headersSent) res.destroy(error);
      else answer(res, 502, `sandbox: pod ${podName} (${hostAndPort(endpoint)}) failed: ${error.message}`);
    });
    // A client that goes away mid-request should not leave the pod working for nobody.
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => structuredClone(stats),
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}
