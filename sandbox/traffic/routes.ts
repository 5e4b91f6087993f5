// The route table: every router kind compiled into one host lookup, and the pure
// decision "which Service serves this request".
//
// Hosts resolve as nginx resolves server_name: exact name, then the longest
// matching "*.suffix" wildcard, then the default ("" = rules without a host).
// Once a host is chosen, a request that matches none of its rules gets 404; it
// does not fall back to the default host (nginx does not either).
//
// When several kinds claim the same host, one kind owns it whole (no merging
// across kinds): VirtualService, then HTTPRoute, then Ingress. Rationale: in a
// cluster with a mesh, Istio's routing applies closest to the Service, and a team
// adding Gateway API next to an Ingress means the newer API to take over.
import { R } from "../resources.ts";
import type { KubeObject, Store } from "../store.ts";
import { compileHttpRoutes } from "./gateway.ts";
import { compileIngresses } from "./ingress.ts";
import { compileVirtualServices } from "./istio.ts";
import {
  type Backend,
  type HostRoutes,
  normaliseHost,
  pickWeighted,
  type RouteRequest,
  type RouterKind,
  type Rng,
  type Rule,
  ruleMatches,
} from "./model.ts";

export const KIND_PRECEDENCE: RouterKind[] = ["istio", "gateway-api", "ingress"];

export interface RouteSources {
  ingresses: KubeObject[];
  virtualServices: KubeObject[];
  httpRoutes: KubeObject[];
}

export interface RouteTable {
  /** Every host's routes, one entry per host, in a stable order (for rendering). */
  hosts: HostRoutes[];
  exact: Map<string, HostRoutes>;
  /** "*.suffix" hosts, longest suffix first. */
  wildcards: HostRoutes[];
  fallback?: HostRoutes;
}

export type Resolution =
  | { status: "routed"; backend: Backend; rule: Rule; host: HostRoutes }
  | { status: "no-route" }
  /** A rule matched but every backend weight is zero. */
  | { status: "no-backend"; rule: Rule; host: HostRoutes };

export function readSources(store: Store): RouteSources {
  return {
    ingresses: store.list(R.ingresses),
    virtualServices: store.list(R.virtualservices),
    httpRoutes: store.list(R.httproutes),
  };
}

export function buildRouteTable(sources: RouteSources): RouteTable {
  const byKind: Record<RouterKind, HostRoutes[]> = {
    istio: compileVirtualServices(sources.virtualServices),
    "gateway-api": compileHttpRoutes(sources.httpRoutes),
    ingress: compileIngresses(sources.ingresses),
  };
  const owners = new Map<string, HostRoutes>();
  for (const kind of KIND_PRECEDENCE) {
    for (const routes of byKind[kind]) if (!owners.has(routes.host)) owners.set(routes.host, routes);
  }
  const hosts = [...owners.values()].sort((a, b) => a.host.localeCompare(b.host));
  const exact = new Map<string, HostRoutes>();
  const wildcards: HostRoutes[] = [];
  let fallback: HostRoutes | undefined;
  for (const routes of hosts) {
    if (routes.host === "") fallback = routes;
    else if (routes.host.startsWith("*.")) wildcards.push(routes);
    else exact.set(routes.host, routes);
  }
  wildcards.sort((a, b) => b.host.length - a.host.length);
  return { hosts, exact, wildcards, fallback };
}

export function hostRoutesFor(table: RouteTable, rawHost: string | undefined): HostRoutes | undefined {
  const host = normaliseHost(rawHost);
  const exact = table.exact.get(host);
  if (exact) return exact;
  // "*.example.com" covers "a.example.com" and "a.b.example.com", as in nginx.
  const wildcard = table.wildcards.find((w) => host.endsWith(w.host.slice(1)));
  return wildcard ?? table.fallback;
}

export function resolveRoute(table: RouteTable, request: RouteRequest, rng: Rng = Math.random): Resolution {
  const host = hostRoutesFor(table, request.host);
  if (!host) return { status: "no-route" };
  const rule = host.rules.find((r) => ruleMatches(r, request));
  if (!rule) return { status: "no-route" };
  const backend = pickWeighted(rule.backends, rng);
  return backend ? { status: "routed", backend, rule, host } : { status: "no-backend", rule, host };
}
