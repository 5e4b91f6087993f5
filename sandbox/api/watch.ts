// Watch streams: newline-delimited {"type","object"} events over a chunked
// response. A short history of events per type lets a client that listed at
// resourceVersion N watch from N without missing what happened in between (the
// list-then-watch of kubectl and informers); older versions get 410 Expired.
import type { IncomingMessage, ServerResponse } from "node:http";
import { matchesSelectorString } from "../labels.ts";
import { ALL_TYPES, apiVersionOf, type ResourceType } from "../resources.ts";
import type { KubeObject, Store, WatchEvent } from "../store.ts";
import { matchesFields, parseFieldSelector } from "./selectors.ts";
import { tableFor } from "./table.ts";

const HISTORY_PER_TYPE = 5000;
const BOOKMARK_INTERVAL_MS = 10_000;

export class WatchHistory {
  private readonly events = new Map<ResourceType, WatchEvent[]>();
  /** Per type: the newest resourceVersion that fell out of the history. */
  private readonly forgotten = new Map<ResourceType, number>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(store: Store) {
    for (const t of ALL_TYPES) {
      const list: WatchEvent[] = [];
      this.events.set(t, list);
      this.unsubscribe.push(
        store.watch(t, undefined, undefined, (event) => {
          list.push(event);
          if (list.length > HISTORY_PER_TYPE) {
            const dropped = list.shift() as WatchEvent;
            this.forgotten.set(t, Number(dropped.object.metadata.resourceVersion));
          }
        }),
      );
    }
  }

  /** Events after resourceVersion, or "expired" if some of them were forgotten. */
  since(t: ResourceType, resourceVersion: number): WatchEvent[] | "expired" {
    if (resourceVersion < (this.forgotten.get(t) ?? 0)) return "expired";
    return (this.events.get(t) ?? []).filter((e) => Number(e.object.metadata.resourceVersion) > resourceVersion);
  }

  stop(): void {
    for (const off of this.unsubscribe) off();
  }
}

export interface WatchRequest {
  type: ResourceType;
  namespace?: string;
  labelSelector?: string;
  query: URLSearchParams;
}

export function serveWatch(
  store: Store,
  history: WatchHistory,
  req: IncomingMessage,
  res: ServerResponse,
  w: WatchRequest,
) {
  const fields = parseFieldSelector(w.query.get("fieldSelector"));
  const wanted = (obj: KubeObject) => matchesFields(obj, fields);
  const rvParam = w.query.get("resourceVersion") ?? "";
  const sendInitialEvents = w.query.get("sendInitialEvents") === "true";
  let lastSent = 0;

  res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache, private" });
  res.flushHeaders();
  const write = (event: { type: string; object: unknown }) => res.write(`${JSON.stringify(event)}\n`);
  const send = (event: WatchEvent) => {
    const rv = Number(event.object.metadata.resourceVersion);
    if (rv <= lastSent && event.type !== "ADDED") return;
    if (!wanted(event.object)) return;
    lastSent = Math.max(lastSent, rv);
    // `kubectl get -w` asks for Tables here too; one-row Tables keep its columns lined up.
    const table = tableFor(req, w.query, w.type, [event.object], event.object.metadata.resourceVersion);
    write(table ? { type: event.type, object: table } : event);
  };
  const bookmark = (annotations?: Record<string, string>) =>
    write({
      type: "BOOKMARK",
      object: {
        kind: w.type.kind,
        apiVersion: apiVersionOf(w.type),
        metadata: { resourceVersion: store.resourceVersion, ...(annotations ? { annotations } : {}) },
      },
    });

  if (rvParam === "" || rvParam === "0" || sendInitialEvents) {
    // "Start at most recent" with a synthetic ADDED per existing object, as Kubernetes does.
    for (const obj of store.list(w.type, w.namespace, w.labelSelector)) send({ type: "ADDED", object: obj });
    lastSent = Number(store.resourceVersion);
    if (sendInitialEvents) bookmark({ "k8s.io/initial-events-end": "true" });
  } else {
    const from = Number(rvParam);
    const past = Number.isFinite(from) ? history.since(w.type, from) : "expired";
    if (past === "expired") {
      write({ type: "ERROR", object: expiredStatus(rvParam) });
      res.end();
      return;
    }
    lastSent = from;
    for (const event of past) {
      if (w.namespace !== undefined && event.object.metadata.namespace !== w.namespace && w.type.namespaced) continue;
      if (!matchesSelectorString(event.object.metadata.labels, w.labelSelector)) continue;
      send(event);
    }
  }

  const unsubscribe = store.watch(w.type, w.namespace, w.labelSelector, send);
  const timers: NodeJS.Timeout[] = [];
  const timeoutSeconds = Number(w.query.get("timeoutSeconds") ?? "0");
  if (timeoutSeconds > 0) timers.push(setTimeout(() => res.end(), timeoutSeconds * 1000));
  if (w.query.get("allowWatchBookmarks") === "true") timers.push(setInterval(() => bookmark(), BOOKMARK_INTERVAL_MS));
  const close = () => {
    unsubscribe();
    for (const timer of timers) clearTimeout(timer);
  };
  res.on("close", close);
  req.on("close", close);
}

function expiredStatus(resourceVersion: string) {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: `too old resource version: ${resourceVersion}`,
    reason: "Expired",
    code: 410,
  };
}
