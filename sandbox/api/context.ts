import type { IncomingMessage, ServerResponse } from "node:http";
import type { Store } from "../store.ts";
import type { ResourceRoute } from "./routes.ts";
import type { WatchHistory } from "./watch.ts";

/** What a resource handler gets for one request. */
export interface RequestContext {
  store: Store;
  history: WatchHistory;
  route: ResourceRoute;
  query: URLSearchParams;
  req: IncomingMessage;
  res: ServerResponse;
}
