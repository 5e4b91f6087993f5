// Fault injection at the API's front: which verb a request is (as RBAC names
// it) and how an injected failure is answered. Shared by the sandbox's API
// server and the fault proxy in front of a real API server.
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { FaultAction, Verb } from "../faults.ts";
import type { ResourceRoute } from "./routes.ts";
import { apiError, sendError, sendJson } from "./status.ts";

export function verbOf(method: string, route: ResourceRoute | undefined, query: URLSearchParams): Verb | "discovery" {
  if (!route) return "discovery";
  if (route.subresource === "proxy") return "proxy";
  switch (method) {
    case "GET":
      if (query.get("watch") === "1" || query.get("watch") === "true") return "watch";
      return route.name === undefined ? "list" : "get";
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return route.name === undefined ? "deletecollection" : "delete";
    default:
      return "get";
  }
}

/** Answers with the injected failure; false when the request should proceed. */
export async function inject(actions: FaultAction[], req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  for (const action of actions) {
    switch (action.type) {
      case "latency":
        await sleep(action.ms);
        break;
      case "error":
        sendError(
          res,
          apiError(
            action.code,
            action.code === 503 ? "ServiceUnavailable" : "InternalError",
            "injected fault: internal error",
          ),
        );
        return true;
      case "throttle":
        sendJson(
          res,
          429,
          {
            ...apiError(429, "TooManyRequests", "injected fault: too many requests, please try again later").toStatus(),
            details: { retryAfterSeconds: action.retryAfterSeconds },
          },
          { "Retry-After": String(action.retryAfterSeconds) },
        );
        return true;
      case "conflict":
        sendError(
          res,
          apiError(
            409,
            "Conflict",
            "injected fault: the object has been modified; please apply your changes to the latest version and try again",
          ),
        );
        return true;
      case "reset":
        req.socket.resetAndDestroy();
        return true;
      case "hang":
        if (await heldUntil(action.until, req)) return true;
        break;
    }
  }
  return false;
}

/** Holds a request until `until`; true when the client gave up meanwhile (nothing left to answer). */
function heldUntil(until: number, req: IncomingMessage): Promise<boolean> {
  if (req.socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (gone: boolean) => {
      clearTimeout(timer);
      req.socket.off("close", onClose);
      resolve(gone);
    };
    const onClose = () => done(true);
    const timer = setTimeout(() => done(req.socket.destroyed), Math.max(0, until - Date.now()));
    req.socket.once("close", onClose);
  });
}
