// Routing state kept current from store watch events: the route table and the
// ready endpoints behind each backend are rebuilt once after a change, not per
// request, so the front door stays fast under load. Listeners (the nginx
// renderer, the Prometheus targets) hear about every relevant change.
import { type Endpoint, serviceEndpoints } from "../endpoints.ts";
import { R } from "../resources.ts";
import type { Store } from "../store.ts";
import { type Backend, backendKey } from "./model.ts";
import { buildRouteTable, readSources, type RouteTable } from "./routes.ts";

export class TrafficState {
  private readonly store: Store;
  private readonly unwatch: (() => void)[];
  private readonly listeners = new Set<() => void>();
  private cachedTable: RouteTable | undefined;
  private readonly cachedEndpoints = new Map<string, Endpoint[]>();

  constructor(store: Store) {
    this.store = store;
    const routing = [R.ingresses, R.virtualservices, R.httproutes];
    const backends = [R.services, R.pods, R.endpointslices];
    this.unwatch = [
      ...routing.map((type) => store.watch(type, undefined, undefined, () => this.changed(true))),
      ...backends.map((type) => store.watch(type, undefined, undefined, () => this.changed(false))),
    ];
  }

  private changed(routes: boolean): void {
    if (routes) this.cachedTable = undefined;
    this.cachedEndpoints.clear();
    for (const listener of this.listeners) listener();
  }

  table(): RouteTable {
    this.cachedTable ??= buildRouteTable(readSources(this.store));
    return this.cachedTable;
  }

  endpoints(backend: Pick<Backend, "namespace" | "service" | "port">): Endpoint[] {
    const key = backendKey(backend);
    let found = this.cachedEndpoints.get(key);
    if (!found) {
      found = serviceEndpoints(this.store, backend.namespace, backend.service, backend.port);
      this.cachedEndpoints.set(key, found);
    }
    return found;
  }

  /** Every pod in the store, for the Prometheus targets. */
  pods() {
    return this.store.list(R.pods);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    for (const stop of this.unwatch) stop();
    this.listeners.clear();
  }
}
