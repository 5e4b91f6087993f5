// Istio VirtualService (networking.istio.io v1 and v1beta1 share the shape),
// compiled to the shared routing model. `http[]` routes are evaluated in order and
// the first whose `match[]` matches wins; a route without `match` matches all.
// VirtualServices claiming the same host are concatenated oldest first (Istio
// merges them only for gateways and warns otherwise; keeping them all is the
// lenient reading). Not modelled: subsets (they need DestinationRules),
// rewrites, redirects, retries, fault injection, query-parameter matches.
import type { KubeObject } from "../store.ts";
import type { Backend, HeaderMatch, HostRoutes, PathMatch, Rule } from "./model.ts";

interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}

function headerMatchOf(name: string, m: StringMatch): HeaderMatch | undefined {
  const lower = name.toLowerCase();
  if (m.exact !== undefined) return { name: lower, type: "exact", value: m.exact };
  if (m.prefix !== undefined) return { name: lower, type: "prefix", value: m.prefix };
  if (m.regex !== undefined) return { name: lower, type: "regex", value: m.regex };
  return undefined;
}

function uriMatchOf(m: StringMatch | undefined): PathMatch | undefined {
  if (!m) return undefined;
  if (m.exact !== undefined) return { type: "exact", value: m.exact };
  // Istio's uri prefix is a string prefix: "/api" matches "/apis" too.
  if (m.prefix !== undefined) return { type: "string-prefix", value: m.prefix };
  if (m.regex !== undefined) return { type: "regex", value: m.regex };
  return undefined;
}

/** `reviews`, `reviews.prod` and `reviews.prod.svc.cluster.local` all name a Service. */
export function serviceOfHost(host: string, namespace: string): { namespace: string; service: string } {
  const parts = host.split(".");
  if (parts.length === 1) return { namespace, service: parts[0] };
  return { namespace: parts[1], service: parts[0] };
}

function backendsOf(
  route: { destination?: { host?: string; port?: { number?: number } }; weight?: number }[],
  namespace: string,
): Backend[] {
  const destinations = route.filter((d) => d.destination?.host);
  return destinations.map((d) => ({
    ...serviceOfHost(d.destination!.host!, namespace),
    port: d.destination?.port?.number,
    // A lone destination without weight takes everything; in a list, a missing weight is 0.
    weight: d.weight ?? (destinations.length === 1 ? 100 : 0),
  }));
}

function rulesOf(vs: KubeObject): Rule[] {
  const namespace = vs.metadata.namespace ?? "default";
  const origin = `virtualservice ${namespace}/${vs.metadata.name}`;
  const rules: Rule[] = [];
  for (const http of vs.spec?.http ?? []) {
    const backends = backendsOf(http.route ?? [], namespace);
    const matches: { uri?: StringMatch; headers?: Record<string, StringMatch> }[] = http.match?.length
      ? http.match
      : [{}];
    // match[] entries are ORed: each becomes its own rule, kept in order.
    for (const m of matches) {
      const headers = Object.entries(m.headers ?? {}).map(([name, sm]) => headerMatchOf(name, sm));
      if (headers.some((h) => h === undefined)) continue; // an empty StringMatch is invalid in Istio
      rules.push({ path: uriMatchOf(m.uri), headers: headers as HeaderMatch[], backends, origin });
    }
  }
  return rules;
}

function byAge(a: KubeObject, b: KubeObject): number {
  const age = (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? "");
  return age !== 0 ? age : (a.metadata.name ?? "").localeCompare(b.metadata.name ?? "");
}

export function compileVirtualServices(virtualServices: KubeObject[]): HostRoutes[] {
  const hosts = new Map<string, Rule[]>();
  for (const vs of [...virtualServices].sort(byAge)) {
    const rules = rulesOf(vs);
    for (const raw of vs.spec?.hosts ?? []) {
      // "*" is Istio's catch-all; it maps to the model's default host.
      const host = raw === "*" ? "" : String(raw).toLowerCase();
      hosts.set(host, [...(hosts.get(host) ?? []), ...rules]);
    }
  }
  return [...hosts].map(([host, rules]) => ({ host, kind: "istio" as const, rules }));
}
