// networking.k8s.io/v1 Ingress with ingress-nginx canary annotations, compiled to
// the shared routing model.
//
// As in ingress-nginx: a canary Ingress (`canary: "true"`) only shadows a main
// Ingress serving the same host and path; alone it routes nothing. Exact paths
// beat prefixes and longer prefixes beat shorter ones; when two main Ingresses
// claim the same host and path, the oldest wins. Not modelled: cookies
// (`canary-by-cookie`), `use-regex`, and `spec.defaultBackend`.
import type { KubeObject } from "../store.ts";
import type { Backend, HeaderMatch, HostRoutes, PathMatch, Rule } from "./model.ts";

const PREFIX = "nginx.ingress.kubernetes.io/";

interface IngressPath {
  host: string;
  path: PathMatch;
  backend: Backend;
  ingress: KubeObject;
}

function byAge(a: KubeObject, b: KubeObject): number {
  const age = (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? "");
  return age !== 0 ? age : (a.metadata.name ?? "").localeCompare(b.metadata.name ?? "");
}

function pathMatchOf(pathType: string | undefined, path: string | undefined): PathMatch {
  const value = path || "/";
  if (pathType === "Exact") return { type: "exact", value };
  if (pathType === "Prefix") return { type: "prefix", value };
  // ingress-nginx treats ImplementationSpecific as a plain location prefix.
  return { type: "string-prefix", value };
}

function pathsOf(ingress: KubeObject): IngressPath[] {
  const namespace = ingress.metadata.namespace ?? "default";
  const found: IngressPath[] = [];
  for (const rule of ingress.spec?.rules ?? []) {
    for (const p of rule.http?.paths ?? []) {
      const service = p.backend?.service;
      if (!service?.name) continue;
      found.push({
        host: (rule.host ?? "").toLowerCase(),
        path: pathMatchOf(p.pathType, p.path),
        backend: { namespace, service: service.name, port: service.port?.number ?? service.port?.name, weight: 1 },
        ingress,
      });
    }
  }
  return found;
}

const isCanary = (ingress: KubeObject) => ingress.metadata.annotations?.[`${PREFIX}canary`] === "true";
const keyOf = (p: Pick<IngressPath, "host" | "path">) => `${p.host} ${p.path.type} ${p.path.value}`;
const originOf = (ingress: KubeObject) => `ingress ${ingress.metadata.namespace}/${ingress.metadata.name}`;

function weightOf(raw: string | undefined, fallback: number): number {
  const value = Number.parseInt(raw ?? "", 10);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

/** The rules one main path expands to with its canary: header overrides first, then the weighted split. */
function canaryRules(main: IngressPath, canary: IngressPath): Rule[] {
  const annotations = canary.ingress.metadata.annotations ?? {};
  const base = { path: main.path, origin: `${originOf(main.ingress)} + ${originOf(canary.ingress)}` };
  const toCanary = { ...base, backends: [{ ...canary.backend, weight: 1 }] };
  const toMain = { ...base, backends: [{ ...main.backend, weight: 1 }] };
  const rules: Rule[] = [];
  const header = annotations[`${PREFIX}canary-by-header`]?.toLowerCase();
  if (header) {
    const value = annotations[`${PREFIX}canary-by-header-value`];
    const pattern = annotations[`${PREFIX}canary-by-header-pattern`];
    const match = (type: HeaderMatch["type"], v: string): HeaderMatch[] => [{ name: header, type, value: v }];
    if (value) rules.push({ ...toCanary, headers: match("exact", value) });
    else if (pattern) rules.push({ ...toCanary, headers: match("regex", pattern) });
    else {
      rules.push({ ...toCanary, headers: match("exact", "always") });
      rules.push({ ...toMain, headers: match("exact", "never") });
    }
  }
  const total = weightOf(annotations[`${PREFIX}canary-weight-total`], 100) || 100;
  const weight = Math.min(weightOf(annotations[`${PREFIX}canary-weight`], 0), total);
  rules.push({
    ...base,
    headers: [],
    backends: [
      { ...main.backend, weight: total - weight },
      { ...canary.backend, weight },
    ],
  });
  return rules;
}

/** Exact before prefix, longer before shorter: the order nginx locations resolve in. */
function pathOrder(a: PathMatch, b: PathMatch): number {
  if ((a.type === "exact") !== (b.type === "exact")) return a.type === "exact" ? -1 : 1;
  return b.value.length - a.value.length;
}

export function compileIngresses(ingresses: KubeObject[]): HostRoutes[] {
  const sorted = [...ingresses].sort(byAge);
  const mains = new Map<string, IngressPath>();
  const canaries = new Map<string, IngressPath>();
  for (const ingress of sorted) {
    const target = isCanary(ingress) ? canaries : mains;
    for (const p of pathsOf(ingress)) if (!target.has(keyOf(p))) target.set(keyOf(p), p);
  }
  const hosts = new Map<string, IngressPath[]>();
  for (const main of mains.values()) hosts.set(main.host, [...(hosts.get(main.host) ?? []), main]);
  const result: HostRoutes[] = [];
  for (const [host, paths] of hosts) {
    paths.sort((a, b) => pathOrder(a.path, b.path));
    const rules = paths.flatMap((main) => {
      const canary = canaries.get(keyOf(main));
      if (canary) return canaryRules(main, canary);
      return [{ path: main.path, headers: [], backends: [main.backend], origin: originOf(main.ingress) }];
    });
    result.push({ host, kind: "ingress", rules });
  }
  return result;
}
