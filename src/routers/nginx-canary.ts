// Pure: what the canary Ingress should say, derived from the main Ingress each
// time it is written (decision 020). Only the paths that route to the app's
// stable Service are copied — a shared Ingress may route other paths of the
// host to other services, and ingress-nginx would split those too — with the
// class however the main Ingress sets it (spec.ingressClassName, or the older
// kubernetes.io/ingress.class annotation that controllers still honour).
import type { V1Ingress, V1IngressRule } from "@kubernetes/client-node";
import { sameSpec } from "./route-object.ts";

export const CLASS_ANNOTATION = "kubernetes.io/ingress.class";
export const CANARY_ANNOTATION = "nginx.ingress.kubernetes.io/canary";

export interface CanaryShape {
  rules: V1IngressRule[];
  ingressClassName?: string;
  classAnnotation?: string;
}

/** The canary's rules and class from the main Ingress; undefined when no path of it routes to `stableService`. */
export function canaryShape(main: V1Ingress, stableService: string, canaryService: string): CanaryShape | undefined {
  const rules: V1IngressRule[] = [];
  for (const rule of main.spec?.rules ?? []) {
    const paths = (rule.http?.paths ?? []).filter((path) => path.backend.service?.name === stableService);
    if (paths.length === 0) continue;
    rules.push({
      ...rule,
      http: {
        paths: paths.map((path) => ({
          ...path,
          backend: { service: { name: canaryService, port: path.backend.service?.port ?? { number: 80 } } },
        })),
      },
    });
  }
  if (rules.length === 0) return undefined;
  return {
    rules,
    ingressClassName: main.spec?.ingressClassName,
    classAnnotation: main.metadata?.annotations?.[CLASS_ANNOTATION],
  };
}

/** Whether the canary Ingress already has this shape (no write needed for it). */
export function hasShape(canary: V1Ingress, shape: CanaryShape): boolean {
  return (
    sameSpec(canary.spec?.rules ?? [], shape.rules) &&
    canary.spec?.ingressClassName === shape.ingressClassName &&
    canary.metadata?.annotations?.[CLASS_ANNOTATION] === shape.classAnnotation
  );
}

/** Hosts a set of rules serves ("" for a rule without a host: every host). */
export function hostsOf(rules: readonly V1IngressRule[]): string[] {
  return [...new Set(rules.map((rule) => (rule.host ?? "").toLowerCase()))];
}

/** Another canary Ingress serving one of `hosts` (ingress-nginx honours one canary per host), if any. */
export function otherCanary(
  ingresses: readonly V1Ingress[],
  ours: string,
  hosts: readonly string[],
): { name: string; host: string } | undefined {
  for (const ingress of ingresses) {
    if (ingress.metadata?.name === ours || ingress.metadata?.annotations?.[CANARY_ANNOTATION] !== "true") continue;
    const shared = hostsOf(ingress.spec?.rules ?? []).find((host) => hosts.includes(host));
    if (shared !== undefined) return { name: ingress.metadata?.name ?? "?", host: shared || "(any host)" };
  }
  return undefined;
}
