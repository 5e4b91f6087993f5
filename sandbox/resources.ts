// The resource types the sandbox serves. `builtin` types accept strategic merge
// patch; custom resources answer 415 to it, as a real API server does.

export interface ResourceType {
  group: string; // "" for the core group
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  builtin: boolean;
  /** Has a /status subresource: updates to the main resource ignore status changes. */
  statusSubresource: boolean;
  /** Spec changes bump metadata.generation. */
  tracksGeneration: boolean;
  shortNames?: string[];
}

function type(t: Omit<ResourceType, "singular"> & { singular?: string }): ResourceType {
  return { ...t, singular: t.singular ?? t.kind.toLowerCase() };
}

export const R = {
  namespaces: type({
    group: "",
    version: "v1",
    kind: "Namespace",
    plural: "namespaces",
    namespaced: false,
    builtin: true,
    statusSubresource: true,
    tracksGeneration: false,
    shortNames: ["ns"],
  }),
  pods: type({
    group: "",
    version: "v1",
    kind: "Pod",
    plural: "pods",
    namespaced: true,
    builtin: true,
    statusSubresource: true,
    tracksGeneration: false,
    shortNames: ["po"],
  }),
  services: type({
    group: "",
    version: "v1",
    kind: "Service",
    plural: "services",
    namespaced: true,
    builtin: true,
    statusSubresource: true,
    tracksGeneration: false,
    shortNames: ["svc"],
  }),
  configmaps: type({
    group: "",
    version: "v1",
    kind: "ConfigMap",
    plural: "configmaps",
    namespaced: true,
    builtin: true,
    statusSubresource: false,
    tracksGeneration: false,
    shortNames: ["cm"],
  }),
  secrets: type({
    group: "",
    version: "v1",
    kind: "Secret",
    plural: "secrets",
    namespaced: true,
    builtin: true,
    statusSubresource: false,
    tracksGeneration: false,
  }),
  events: type({
    group: "",
    version: "v1",
    kind: "Event",
    plural: "events",
    namespaced: true,
    builtin: true,
    statusSubresource: false,
    tracksGeneration: false,
    shortNames: ["ev"],
  }),
  endpoints: type({
    group: "",
    version: "v1",
    kind: "Endpoints",
    plural: "endpoints",
    singular: "endpoints",
    namespaced: true,
    builtin: true,
    statusSubresource: false,
    tracksGeneration: false,
    shortNames: ["ep"],
  }),
  endpointslices: type({
    group: "discovery.k8s.io",
    version: "v1",
    kind: "EndpointSlice",
    plural: "endpointslices",
    namespaced: true,
    builtin: true,
    statusSubresource: false,
    tracksGeneration: true,
  }),
  deployments: type({
    group: "apps",
    version: "v1",
    kind: "Deployment",
    plural: "deployments",
    namespaced: true,
    builtin: true,
    statusSubresource: true,
    tracksGeneration: true,
    shortNames: ["deploy"],
  }),
  replicasets: type({
    group: "apps",
    version: "v1",
    kind: "ReplicaSet",
    plural: "replicasets",
    namespaced: true,
    builtin: true,
    statusSubresource: true,
    tracksGeneration: true,
    shortNames: ["rs"],
  }),
  ingresses: type({
    group: "networking.k8s.io",
    version: "v1",
    kind: "Ingress",
    plural: "ingresses",
    namespaced: true,
    builtin: true,
    statusSubresource: true,
    tracksGeneration: true,
    shortNames: ["ing"],
  }),
  leases: type({
    group: "coordination.k8s.io",
    version: "v1",
    kind: "Lease",
    plural: "leases",
    namespaced: true,
    builtin: true,
    statusSubresource: false,
    tracksGeneration: false,
  }),
  horizontalpodautoscalers: type({
    group: "autoscaling",
    version: "v2",
    kind: "HorizontalPodAutoscaler",
    plural: "horizontalpodautoscalers",
    namespaced: true,
    builtin: true,
    statusSubresource: true,
    tracksGeneration: true,
    shortNames: ["hpa"],
  }),
  virtualservices: type({
    group: "networking.istio.io",
    version: "v1",
    kind: "VirtualService",
    plural: "virtualservices",
    namespaced: true,
    builtin: false,
    statusSubresource: false,
    tracksGeneration: true,
    shortNames: ["vs"],
  }),
  httproutes: type({
    group: "gateway.networking.k8s.io",
    version: "v1",
    kind: "HTTPRoute",
    plural: "httproutes",
    namespaced: true,
    builtin: false,
    statusSubresource: false,
    tracksGeneration: true,
  }),
} as const;

/**
 * Types known to the sandbox but not served by its API: EndpointSlices exist
 * only in stores mirrored from a real API server (sandbox/mirror.ts), where the
 * real EndpointSlice controller publishes them. The sandbox has no such
 * controller, and an always-empty collection would say "no endpoints" wrongly.
 */
export const NOT_SERVED: ReadonlySet<ResourceType> = new Set([R.endpointslices]);

/** The types the sandbox's API serves (discovery, routes, watch history). */
export const ALL_TYPES: ResourceType[] = Object.values(R).filter((t) => !NOT_SERVED.has(t));

export function apiVersionOf(t: ResourceType): string {
  return t.group === "" ? t.version : `${t.group}/${t.version}`;
}

export function findType(group: string, version: string, plural: string): ResourceType | undefined {
  return ALL_TYPES.find((t) => t.group === group && t.version === version && t.plural === plural);
}
