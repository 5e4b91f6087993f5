// The parts of a VirtualService's `http` routes that grayctl owns, as pure
// functions of the current routes: with traffic.pin, one route sending
// `<header>: <secret>` to the canary Service, placed just before the app's
// weighted route; and the weights of the stable and canary destinations in that
// route. Every other route, and every other field of the weighted route, is the
// team's and is kept as it is — except open pins (`x-canary: always|never`,
// written by older versions), which anyone could send and are removed.
import { UsageError } from "../errors.ts";
import { isOpenPinMatch, isPinMatch } from "./pin.ts";
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
const PIN_ROUTE = "grayctl-canary-by-header";
// Older versions also pinned to stable under this name.
const OLD_STABLE_PIN_ROUTE = "grayctl-stable-by-header";

/** `shop-stable`, `shop-stable.default` and `shop-stable.default.svc.cluster.local` all name the Service. */
function trackOf(destination: Destination, split: Split): Track | undefined {
  const [service, namespace] = destination.destination?.host?.split(".") ?? [];
  if (namespace !== undefined && namespace !== split.namespace) return undefined;
  return service === split.stable ? "stable" : service === split.canary ? "canary" : undefined;
}

/** Whether every match of a route carries a header for which `test` holds. */
function everyMatchHas(route: HttpRoute, test: (name: string, value: string | undefined) => boolean): boolean {
  const matches = route.match ?? [];
  return (
    matches.length > 0 &&
    matches.every((m) => Object.entries(m.headers ?? {}).some(([name, match]) => test(name, match?.exact)))
  );
}

/** A route that pins (grayctl's, an open one of an older version, or an equivalent the team wrote): rebuilt, never kept twice. */
function isPinRoute(route: HttpRoute, split: Split): boolean {
  if (route.name === PIN_ROUTE || route.name === OLD_STABLE_PIN_ROUTE) return true;
  return everyMatchHas(route, (name, value) => isPinMatch(name, value, split.pin));
}

/** The app's weighted route: the first route, other than the header routes, to either track (-1: none). */
function findWeightedRoute(http: HttpRoute[], split: Split): number {
  return http.findIndex((r) => !isPinRoute(r, split) && (r.route ?? []).some((d) => trackOf(d, split) !== undefined));
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
  const pins = pinRoutes(http, split, weighted, destination("canary"));
  const rest = http.filter((r) => !isPinRoute(r, split));
  return rest.flatMap((r) => (r === weighted ? [...pins, { ...r, route: split100 }] : [r]));
}

/**
 * The pin route: the weighted route's own conditions plus the secret header (it
 * pins only requests the app would get). None without traffic.pin; without the
 * secret at hand (its variable unset here), the pin routes there are kept as
 * they are, open ones excepted.
 */
function pinRoutes(
  http: HttpRoute[],
  split: Split,
  weighted: HttpRoute,
  canary: Destination["destination"],
): HttpRoute[] {
  const pin = split.pin;
  if (!pin) return [];
  if (pin.value === undefined)
    return http.filter(
      (r) =>
        isPinRoute(r, split) &&
        r.name !== OLD_STABLE_PIN_ROUTE &&
        !everyMatchHas(r, (name, value) => isOpenPinMatch(name, value, pin)),
    );
  const value = pin.value;
  return [
    {
      name: PIN_ROUTE,
      match: (weighted.match?.length ? weighted.match : [{}]).map((m) => ({
        ...m,
        headers: { ...m.headers, [pin.header]: { exact: value } },
      })),
      route: [{ destination: canary }],
    },
  ];
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
