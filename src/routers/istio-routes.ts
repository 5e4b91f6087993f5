// The parts of a VirtualService's `http` routes that grayctl owns, as pure
// functions of the current routes: two header routes (`<header>: always` to the
// canary Service, `never` to stable) placed just before the app's weighted
// route, and the weights of the stable and canary destinations in that route.
// Every other route, and every other field of the weighted route, is the team's
// and is kept as it is.
import { UsageError } from "../errors.ts";
import type { Split } from "./route-object.ts";

interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}
interface HttpMatch {
  uri?: StringMatch;
  headers?: Record<string, StringMatch>;
  [field: string]: unknown;
}
interface Destination {
  destination: { host: string; port?: { number?: number }; [field: string]: unknown };
  weight?: number;
  [field: string]: unknown;
}
export interface HttpRoute {
  name?: string;
  match?: HttpMatch[];
  route?: Destination[];
  [field: string]: unknown;
}
export interface VirtualServiceSpec {
  hosts?: string[];
  gateways?: string[];
  http?: HttpRoute[];
  [field: string]: unknown;
}

type Track = "stable" | "canary";
const PIN = { canary: "always", stable: "never" } as const;

/** `shop-stable`, `shop-stable.default` and `shop-stable.default.svc.cluster.local` all name the Service. */
function trackOf(destination: Destination, split: Split): Track | undefined {
  const [service, namespace] = destination.destination?.host?.split(".") ?? [];
  if (namespace !== undefined && namespace !== split.namespace) return undefined;
  return service === split.stable ? "stable" : service === split.canary ? "canary" : undefined;
}

/** A route that pins by grayctl's header (ours, or an equivalent the team wrote): rebuilt, never kept twice. */
function isHeaderRoute(route: HttpRoute, header: string): boolean {
  const matches = route.match ?? [];
  return (
    matches.length > 0 &&
    matches.every((m) => {
      const value = Object.entries(m.headers ?? {}).find(([name]) => name.toLowerCase() === header.toLowerCase());
      return value?.[1].exact === PIN.canary || value?.[1].exact === PIN.stable;
    })
  );
}

/** The app's weighted route: the first route, other than the header routes, to either track (-1: none). */
function findWeightedRoute(http: HttpRoute[], split: Split): number {
  return http.findIndex(
    (r) => !isHeaderRoute(r, split.header) && (r.route ?? []).some((d) => trackOf(d, split) !== undefined),
  );
}

/** The weighted route, or a usage error naming what grayctl cannot split in an adopted VirtualService. */
function weightedRouteIndex(http: HttpRoute[], split: Split): number {
  const index = findWeightedRoute(http, split);
  if (index < 0) {
    throw new UsageError(
      `no route of the VirtualService sends traffic to ${split.stable}`,
      `Add a route with destination host ${split.stable} where the app's traffic should be split, or delete the VirtualService and let grayctl create it.`,
    );
  }
  const foreign = (http[index].route ?? []).filter((d) => trackOf(d, split) === undefined);
  if (foreign.length > 0) {
    throw new UsageError(
      `the VirtualService route to ${split.stable} also sends traffic to ${foreign.map((d) => d.destination?.host).join(", ")}: grayctl splits only a route of its two Services`,
      `Give ${split.stable} a route of its own.`,
    );
  }
  return index;
}

/**
 * The canary's share of the weighted route (Istio: a lone destination without
 * weight takes everything); 0 when no route sends traffic to the app's tracks.
 */
export function canaryWeightOf(http: HttpRoute[], split: Split): number {
  const index = findWeightedRoute(http, split);
  if (index < 0) return 0;
  const route = http[index].route ?? [];
  const canary = route.find((d) => trackOf(d, split) === "canary");
  if (!canary) return 0;
  return canary.weight ?? (route.length === 1 ? 100 : 0);
}

/**
 * The routes with grayctl's parts in place and the canary at `weight`
 * (undefined: keep the weight the routes give now, 0 for a route to stable alone).
 */
export function withCanaryWeight(http: HttpRoute[], split: Split, weight?: number): HttpRoute[] {
  const canaryWeight = weight ?? canaryWeightOf(http, split);
  const weighted = http[weightedRouteIndex(http, split)];
  const existing = (track: Track) => weighted.route?.find((d) => trackOf(d, split) === track);
  // A missing destination is modelled on the other one (same port, same host form).
  const destination = (track: Track): Destination["destination"] => {
    const own = existing(track)?.destination;
    if (own) return own;
    const other = existing(track === "stable" ? "canary" : "stable")!.destination;
    const [, ...domain] = other.host.split(".");
    return { ...other, host: [split[track], ...domain].join(".") };
  };
  const split100: Destination[] = [
    { ...existing("stable"), destination: destination("stable"), weight: 100 - canaryWeight },
    { ...existing("canary"), destination: destination("canary"), weight: canaryWeight },
  ];
  const pinned = (track: Track): HttpRoute => ({
    name: `grayctl-${track}-by-header`,
    // The weighted route's own conditions plus the header: the header pins only requests the app would get.
    match: (weighted.match?.length ? weighted.match : [{}]).map((m) => ({
      ...m,
      headers: { ...m.headers, [split.header]: { exact: PIN[track] } },
    })),
    route: [{ destination: destination(track) }],
  });
  const rest = http.filter((r) => !isHeaderRoute(r, split.header));
  return rest.flatMap((r) => (r === weighted ? [pinned("canary"), pinned("stable"), { ...r, route: split100 }] : [r]));
}

/** The routes of a VirtualService grayctl creates: everything under traffic.path, all to stable. */
export function initialRoutes(split: Split, path: string): HttpRoute[] {
  const weighted: HttpRoute = {
    name: "grayctl-split",
    ...(path === "/" ? {} : { match: [{ uri: { prefix: path } }] }),
    route: [{ destination: { host: split.stable, port: { number: 80 } }, weight: 100 }],
  };
  return withCanaryWeight([weighted], split, 0);
}
