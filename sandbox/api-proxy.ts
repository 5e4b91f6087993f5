// A fault-injecting reverse proxy in front of a real API server, for the
// real-cluster suites: a stressed API server answers 500, 429 with
// Retry-After or resets connections, but not on demand, so the proxy injects
// the same faults the sandbox's own API does (sandbox/faults.ts) and passes
// everything else through untouched — credentials included, so the real
// authenticator and authorizer still judge every request. Clients reach it
// over plain http on loopback; it speaks TLS to the API server.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { request } from "node:https";
import type { AddressInfo } from "node:net";
import { inject, verbOf } from "./api/fault-injection.ts";
import { parseResourcePath } from "./api/routes.ts";
import { Faults } from "./faults.ts";

export interface ApiProxyOptions {
  /** The real API server, e.g. https://127.0.0.1:6443. */
  upstream: string;
  /** The CA that signed the API server's certificate. */
  caPem: string;
  faults?: Faults;
  /** Called once per request, before any fault, with the client's User-Agent. */
  onRequest?: (method: string, url: string, userAgent: string | undefined) => void;
}

export interface ApiProxy {
  url: string;
  faults: Faults;
  stop(): Promise<void>;
}

function forward(upstream: URL, caPem: string, req: IncomingMessage, res: ServerResponse): void {
  const headers = { ...req.headers, host: upstream.host };
  const outgoing = request(
    {
      hostname: upstream.hostname,
      port: upstream.port,
      ca: caPem,
      method: req.method,
      path: req.url,
      headers,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      // Watches stream for minutes: pass each chunk on as it comes.
      answer.pipe(res);
    },
  );
  outgoing.on("error", (error) => {
    if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" }).end(`proxy: ${error.message}`);
    else res.destroy(error);
  });
  // A client that goes away (a cancelled watch) takes its upstream request with it.
  res.on("close", () => outgoing.destroy());
  req.pipe(outgoing);
}

export async function startApiProxy(options: ApiProxyOptions): Promise<ApiProxy> {
  const upstream = new URL(options.upstream);
  const faults = options.faults ?? new Faults();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://proxy");
    options.onRequest?.(req.method ?? "", req.url ?? "", req.headers["user-agent"]);
    const route = parseResourcePath(url.pathname);
    const actions = faults.decide({ verb: verbOf(req.method ?? "GET", route, url.searchParams), path: url.pathname });
    inject(actions, req, res)
      .then((answered) => {
        if (answered) req.resume();
        else forward(upstream, options.caPem, req, res);
      })
      .catch((error) => res.destroy(error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    faults,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
