// Gateway API HTTPRoute (gateway.networking.k8s.io/v1), compiled to the shared
// routing model. Rules from every HTTPRoute attached to a hostname are merged and
// ordered by the spec's precedence, simplified to:
//   1. Exact path, then PathPrefix by longest prefix, then RegularExpression paths;
//   2. more header matches first (a header rule beats a plain one on the same path);
//   3. the oldest HTTPRoute, then namespace/name alphabetically, then rule order.
// Method and query-parameter matches are not modelled (a match using them is
// skipped, so it never routes more than the real thing would); parentRefs are
// ignored: every HTTPRoute is treated as attached to the sandbox's one gateway.
import type { KubeObject } from "../store.ts";
import type { Backend, HeaderMatch, HostRoutes, PathMatch, Rule } from "./model.ts";

interface RouteMatch {
  path?: { type?: string; value?: string };
  headers?: { type?: string; name: string; value: string }[];
  method?: string;
  queryParams?: unknown[];
}

interface Ranked {
  rule: Rule;
  rank: number[];
  tiebreak: string;
}

function pathOf(path: RouteMatch["path"]): PathMatch {
  const value = path?.value ?? "/";
  if (path?.type === "Exact") return { type: "exact", value };
  if (path?.type === "RegularExpression") return { type: "regex", value };
  return { type: "prefix", value };
}

function headerOf(h: { type?: string; name: string; value: string }): HeaderMatch {
  return { name: h.name.toLowerCase(), type: h.type === "RegularExpression" ? "regex" : "exact", value: h.value };
}

function backendsOf(
  refs: { kind?: string; name?: string; namespace?: string; port?: number; weight?: number }[],
  namespace: string,
): Backend[] {
  return refs
    .filter((ref) => (ref.kind ?? "Service") === "Service" && ref.name)
    .map((ref) => ({
      namespace: ref.namespace ?? namespace,
      service: ref.name!,
      port: ref.port,
      weight: ref.weight ?? 1,
    }));
}

/** Smaller sorts first. */
function rankOf(path: PathMatch, headerCount: number): number[] {
  const pathRank = path.type === "exact" ? 0 : path.type === "prefix" ? 1 : 2;
  return [pathRank, -path.value.length, -headerCount];
}

function rankedRulesOf(route: KubeObject): Ranked[] {
  const namespace = route.metadata.namespace ?? "default";
  const origin = `httproute ${namespace}/${route.metadata.name}`;
  const age = route.metadata.creationTimestamp ?? "";
  const ranked: Ranked[] = [];
  (route.spec?.rules ?? []).forEach((rule: { matches?: RouteMatch[]; backendRefs?: [] }, ruleIndex: number) => {
    const backends = backendsOf(rule.backendRefs ?? [], namespace);
    const matches: RouteMatch[] = rule.matches?.length ? rule.matches : [{}];
    matches.forEach((match, matchIndex) => {
      if (match.method || match.queryParams?.length) return;
      const path = pathOf(match.path);
      const headers = (match.headers ?? []).map(headerOf);
      const order = `${String(ruleIndex).padStart(4, "0")}.${String(matchIndex).padStart(4, "0")}`;
      ranked.push({
        rule: { path, headers, backends, origin },
        rank: rankOf(path, headers.length),
        tiebreak: `${age} ${namespace}/${route.metadata.name} ${order}`,
      });
    });
  });
  return ranked;
}

function compareRanked(a: Ranked, b: Ranked): number {
  for (let i = 0; i < a.rank.length; i++) if (a.rank[i] !== b.rank[i]) return a.rank[i] - b.rank[i];
  return a.tiebreak.localeCompare(b.tiebreak);
}

export function compileHttpRoutes(routes: KubeObject[]): HostRoutes[] {
  const hosts = new Map<string, Ranked[]>();
  for (const route of routes) {
    const ranked = rankedRulesOf(route);
    // No hostnames: the route serves every host the gateway listens for.
    const hostnames: string[] = route.spec?.hostnames?.length ? route.spec.hostnames : [""];
    for (const hostname of hostnames) {
      const host = hostname.toLowerCase();
      hosts.set(host, [...(hosts.get(host) ?? []), ...ranked]);
    }
  }
  return [...hosts].map(([host, ranked]) => ({
    host,
    kind: "gateway-api" as const,
    rules: ranked.sort(compareRanked).map((r) => r.rule),
  }));
}
