// The sandbox API server: routes a request to discovery, a resource handler, a
// subresource or the proxy, after the bearer-token check and fault injection.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Faults } from "../faults.ts";
import type { Store } from "../store.ts";
import type { RequestContext } from "./context.ts";
import { coreVersions, groupInfo, groupList, resourceList, versionInfo } from "./discovery.ts";
import { openApiGroupVersion, openApiRoot } from "./openapi.ts";
import { inject, verbOf } from "./fault-injection.ts";
import { handleCollection, handleObject } from "./handlers.ts";
import { handleLogs } from "./logs.ts";
import { handleProxy } from "./proxy.ts";
import { parseResourcePath } from "./routes.ts";
import { apiError, notFoundPath, sendError, sendJson } from "./status.ts";
import { handleScale, handleStatus } from "./subresources.ts";
import { WatchHistory } from "./watch.ts";

export interface ApiServerOptions {
  store: Store;
  faults: Faults;
  /** Bearer token a client that authenticates must send; undefined accepts any. */
  token?: string;
  port?: number;
  /** Where the pod runtime writes container logs, for pods/log. */
  logDir?: string;
  /** Called once per request, for debugging. */
  onRequest?: (method: string, url: string, userAgent: string | undefined) => void;
}

export interface ApiServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

function discovery(pathname: string, host: string): unknown {
  const path = pathname.replace(/\/+$/, "") || "/";
  if (path === "/version") return versionInfo();
  if (path === "/api") return coreVersions(host);
  if (path === "/apis") return groupList();
  if (path === "/openapi/v3") return openApiRoot();
  if (path.startsWith("/openapi/v3/")) return openApiGroupVersion(path.slice("/openapi/v3/".length));
  const group = /^\/apis\/([^/]+)$/.exec(path);
  if (group) return groupInfo(group[1]);
  const core = /^\/api\/([^/]+)$/.exec(path);
  if (core) return resourceList("", core[1]);
  const named = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
  if (named) return resourceList(named[1], named[2]);
  return undefined;
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { store, faults, token } = options;
  const history = new WatchHistory(store);
  let address = "";

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://sandbox");
    options.onRequest?.(req.method ?? "", req.url ?? "", req.headers["user-agent"]);
    // kubectl sends no bearer token over plain http, so a request without one is
    // let in (as anonymous would be); a wrong token is refused.
    const authorization = req.headers.authorization;
    if (token !== undefined && authorization !== undefined && authorization !== `Bearer ${token}`) {
      throw apiError(401, "Unauthorized", "Unauthorized");
    }
    const route = parseResourcePath(url.pathname);
    if (
      await inject(
        faults.decide({ verb: verbOf(req.method ?? "GET", route, url.searchParams), path: url.pathname }),
        req,
        res,
      )
    )
      return;
    if (!route) {
      if (url.pathname === "/healthz" || url.pathname === "/livez" || url.pathname === "/readyz") {
        res.writeHead(200, { "Content-Type": "text/plain" }).end("ok");
        return;
      }
      const document = req.method === "GET" ? discovery(url.pathname, address) : undefined;
      if (document === undefined) throw notFoundPath(url.pathname);
      return sendJson(res, 200, document);
    }
    const ctx: RequestContext = { store, history, route, query: url.searchParams, req, res };
    if (route.name === undefined) return handleCollection(ctx);
    switch (route.subresource) {
      case undefined:
        return handleObject(ctx);
      case "status":
        return handleStatus(ctx);
      case "scale":
        return handleScale(ctx);
      case "proxy":
        return handleProxy(ctx);
      case "log":
        return handleLogs(ctx, options.logDir);
      default:
        throw notFoundPath(url.pathname);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      req.resume(); // drain an unread body so the connection stays usable
      sendError(res, error);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  address = `127.0.0.1:${port}`;
  return {
    url: `http://${address}`,
    port,
    stop: async () => {
      history.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
