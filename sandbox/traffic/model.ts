// The routing model shared by the front door and the nginx renderer. Each router
// kind (Ingress, VirtualService, HTTPRoute) compiles to the same shape: for every
// host, an ordered list of rules where the first matching rule wins, and each
// rule splits traffic between Service backends by weight. Kind-specific ordering
// (longest path, Gateway API precedence, VirtualService order) is applied when
// compiling, so matching here is a plain first-match scan.
import { seededRandom } from "../../src/analysis/random.ts";

export type RouterKind = "ingress" | "istio" | "gateway-api";

/** "prefix" follows path elements (/foo matches /foo/bar, not /foobar); "string-prefix" does not. */
export type PathMatch =
  | { type: "exact" | "prefix" | "string-prefix"; value: string }
  | { type: "regex"; value: string };

export interface HeaderMatch {
  /** Lower-case header name. */
  name: string;
  type: "exact" | "prefix" | "regex";
  value: string;
}

export interface Backend {
  namespace: string;
  service: string;
  /** Service port number or name; undefined means the Service's first port. */
  port?: number | string;
  weight: number;
}

export interface Rule {
  path?: PathMatch;
  headers: HeaderMatch[];
  backends: Backend[];
  /** Where the rule came from, for diagnostics: "ingress default/web-canary". */
  origin: string;
}

export interface HostRoutes {
  /** Exact host, "*.example.com" wildcard, or "" for requests no other host claims. */
  host: string;
  kind: RouterKind;
  rules: Rule[];
}

export interface RouteRequest {
  host: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

export type Rng = () => number;

export function backendKey(backend: Pick<Backend, "namespace" | "service" | "port">): string {
  return `${backend.namespace}/${backend.service}:${backend.port ?? ""}`;
}

/** The regular-expression dialects (RE2, PCRE) match whole values in Istio and Gateway API. */
export function fullRegex(pattern: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch {
    return undefined; // an invalid pattern matches nothing, as a proxy rejecting the rule would
  }
}

export function pathMatches(match: PathMatch | undefined, path: string): boolean {
  if (!match) return true;
  switch (match.type) {
    case "exact":
      return path === match.value;
    case "string-prefix":
      return path.startsWith(match.value);
    case "prefix": {
      const prefix = match.value.replace(/\/+$/, "");
      if (prefix === "") return true;
      return path === prefix || path.startsWith(`${prefix}/`);
    }
    case "regex":
      return fullRegex(match.value)?.test(path) ?? false;
  }
}

function headerValue(headers: RouteRequest["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

export function headerMatches(match: HeaderMatch, headers: RouteRequest["headers"]): boolean {
  const value = headerValue(headers, match.name);
  if (value === undefined) return false;
  switch (match.type) {
    case "exact":
      return value === match.value;
    case "prefix":
      return value.startsWith(match.value);
    case "regex":
      return fullRegex(match.value)?.test(value) ?? false;
  }
}

export function ruleMatches(rule: Rule, request: RouteRequest): boolean {
  return pathMatches(rule.path, request.path) && rule.headers.every((h) => headerMatches(h, request.headers));
}

/** A random draw per request, as the proxies do; undefined when every weight is zero. */
export function pickWeighted(backends: Backend[], rng: Rng): Backend | undefined {
  const live = backends.filter((b) => b.weight > 0);
  const total = live.reduce((sum, b) => sum + b.weight, 0);
  if (total <= 0) return undefined;
  let draw = rng() * total;
  for (const backend of live) {
    draw -= backend.weight;
    if (draw < 0) return backend;
  }
  return live[live.length - 1];
}

/** Host header without port, lower case, as servers compare names. */
export function normaliseHost(host: string | undefined): string {
  if (!host) return "";
  const withoutPort = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d+$/, "");
  return withoutPort.toLowerCase().replace(/\.$/, "");
}

/** A seeded generator so split tests are reproducible; production draws use Math.random. */
export const seededRng: (seed: number) => Rng = seededRandom;
