// Test support: the routing objects grayctl's routers write, built tersely so
// tests read as specifications ("a canary Ingress at weight 25 by header x-canary").
import type { KubeObject } from "../store.ts";

const NGINX = "nginx.ingress.kubernetes.io/";

export function anIngress(
  name: string,
  options: {
    host?: string;
    path?: string;
    pathType?: string;
    service: string;
    port?: number;
    annotations?: Record<string, string>;
    created?: string;
  },
): KubeObject {
  return {
    metadata: { name, annotations: options.annotations ?? {}, creationTimestamp: options.created },
    spec: {
      ingressClassName: "nginx",
      rules: [
        {
          ...(options.host ? { host: options.host } : {}),
          http: {
            paths: [
              {
                path: options.path ?? "/",
                pathType: options.pathType ?? "Prefix",
                backend: { service: { name: options.service, port: { number: options.port ?? 80 } } },
              },
            ],
          },
        },
      ],
    },
  };
}

export function aCanaryIngress(
  name: string,
  options: {
    host?: string;
    path?: string;
    pathType?: string;
    service: string;
    weight?: number;
    weightTotal?: number;
    header?: string;
    headerValue?: string;
    headerPattern?: string;
  },
): KubeObject {
  const annotations: Record<string, string> = { [`${NGINX}canary`]: "true" };
  if (options.weight !== undefined) annotations[`${NGINX}canary-weight`] = String(options.weight);
  if (options.weightTotal !== undefined) annotations[`${NGINX}canary-weight-total`] = String(options.weightTotal);
  if (options.header) annotations[`${NGINX}canary-by-header`] = options.header;
  if (options.headerValue) annotations[`${NGINX}canary-by-header-value`] = options.headerValue;
  if (options.headerPattern) annotations[`${NGINX}canary-by-header-pattern`] = options.headerPattern;
  return anIngress(name, { ...options, annotations });
}

export function aVirtualService(name: string, hosts: string[], http: unknown[]): KubeObject {
  return { metadata: { name }, spec: { hosts, http } };
}

/** A weighted VirtualService route: [["web-stable", 75], ["web-canary", 25]]. */
export function weightedRoute(destinations: [string, number | undefined][], match?: unknown[]) {
  return {
    ...(match ? { match } : {}),
    route: destinations.map(([host, weight]) => ({
      destination: { host, port: { number: 80 } },
      ...(weight === undefined ? {} : { weight }),
    })),
  };
}

export function anHttpRoute(name: string, hostnames: string[] | undefined, rules: unknown[]): KubeObject {
  return {
    metadata: { name },
    spec: { parentRefs: [{ name: "sandbox-gateway" }], ...(hostnames ? { hostnames } : {}), rules },
  };
}

/** An HTTPRoute rule: backends [["web-stable", 3], ["web-canary", 1]] and optional matches. */
export function aRouteRule(backends: [string, number | undefined][], matches?: unknown[]) {
  return {
    ...(matches ? { matches } : {}),
    backendRefs: backends.map(([backend, weight]) => ({
      name: backend,
      port: 80,
      ...(weight === undefined ? {} : { weight }),
    })),
  };
}
