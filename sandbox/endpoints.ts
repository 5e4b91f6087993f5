// Where a pod or a Service is reached: shared by the pod/service proxies, the
// front door, the nginx config and the Prometheus targets. Two worlds:
//
// - The sandbox: pods are real processes on 127.0.0.1, each on its own host
//   port. The runtime records the mapping from container port to host port in
//   an annotation (JSON object, e.g. {"8080":41234}) when the process starts.
// - A real cluster (a store mirrored by sandbox/mirror.ts): pods have their own
//   IPs, and the EndpointSlice controller publishes which of them are ready
//   behind each Service port, in EndpointSlices labelled with the Service name.
//
// A Service's endpoints come from its EndpointSlices when the store has any,
// otherwise from the ready pods its selector matches and their host ports.
import { matchesMap } from "./labels.ts";
import { R } from "./resources.ts";
import type { KubeObject, Store } from "./store.ts";

export const HOST_PORTS_ANNOTATION = "sandbox.grayctl.dev/host-ports";
/** The label the EndpointSlice controller puts on a Service's slices. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

/** A network address that serves a Service port: what a proxy connects to. */
export interface Endpoint {
  host: string;
  port: number;
  /** The pod behind it, when the store holds it. */
  pod?: KubeObject;
  /** "namespace/pod" (from the pod or the slice's targetRef), else "host:port": what headers and counters name. */
  name: string;
}

export function isPodReady(pod: KubeObject): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  const ready = (pod.status?.conditions ?? []).find((c: { type: string }) => c.type === "Ready");
  return ready?.status === "True";
}

/** "host:port", with an IPv6 host in brackets (as URLs, nginx and $upstream_addr write it). */
export function hostAndPort(endpoint: { host: string; port: number }): string {
  return endpoint.host.includes(":") ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}

/** The container port a number or a named port of a pod refers to. */
export function containerPortOf(pod: KubeObject, port: number | string): number | undefined {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(port)) return Number(port);
  for (const container of pod.spec?.containers ?? []) {
    for (const p of container.ports ?? []) if (p.name === port) return p.containerPort;
  }
  return undefined;
}

/** Host port of a container port (number or named port) of a sandbox pod, if it is running. */
export function hostPortOf(pod: KubeObject, port: number | string): number | undefined {
  const raw = pod.metadata.annotations?.[HOST_PORTS_ANNOTATION];
  if (!raw) return undefined;
  const mapping = JSON.parse(raw) as Record<string, number>;
  const containerPort = containerPortOf(pod, port);
  return containerPort === undefined ? undefined : mapping[String(containerPort)];
}

const isLoopback = (ip: string) => ip.startsWith("127.") || ip === "::1";

/**
 * Where a container port of a pod is reached from this machine: its pod IP and
 * the container port on a real cluster, 127.0.0.1 and the runtime's host port on
 * the sandbox (whose pods report 127.0.0.1 as their IP). Undefined when neither
 * is known yet (not running, no IP).
 */
export function podAddress(pod: KubeObject, port: number | string): { host: string; port: number } | undefined {
  const podIP: string | undefined = pod.status?.podIP;
  if (podIP && !isLoopback(podIP)) {
    const containerPort = containerPortOf(pod, port);
    return containerPort === undefined ? undefined : { host: podIP, port: containerPort };
  }
  const hostPort = hostPortOf(pod, port);
  return hostPort === undefined ? undefined : { host: "127.0.0.1", port: hostPort };
}

interface ServicePort {
  port: number;
  name?: string;
  targetPort?: number | string;
}

interface SlicePort {
  name?: string;
  port?: number;
  protocol?: string;
}

interface SliceEndpoint {
  addresses?: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  targetRef?: { kind?: string; namespace?: string; name?: string };
}

/**
 * The slice port that carries a Service port. The EndpointSlice controller names
 * each slice port after its Service port (unnamed: ""), with the targetPort
 * resolved to a number; a numeric targetPort also matches by number.
 */
function slicePortFor(ports: SlicePort[], servicePort: ServicePort): SlicePort | undefined {
  const byName = ports.find((p) => (p.name ?? "") === (servicePort.name ?? ""));
  if (byName) return byName;
  const target = servicePort.targetPort ?? servicePort.port;
  return typeof target === "number" ? ports.find((p) => p.port === target) : undefined;
}

/** Ready endpoints of a Service port from its EndpointSlices (deduplicated across slices). */
export function endpointsFromSlices(
  store: Store,
  slices: KubeObject[],
  namespace: string,
  servicePort: ServicePort,
): Endpoint[] {
  const endpoints: Endpoint[] = [];
  const seen = new Set<string>();
  for (const slice of slices) {
    if (slice.addressType === "FQDN") continue;
    const port = slicePortFor((slice.ports as SlicePort[] | null) ?? [], servicePort)?.port;
    if (port === undefined) continue;
    for (const entry of (slice.endpoints as SliceEndpoint[] | null) ?? []) {
      // The API says an unset `ready` is unknown and consumers should treat it as ready.
      if (entry.conditions?.ready === false) continue;
      const ref = entry.targetRef?.kind === "Pod" ? entry.targetRef : undefined;
      const podNamespace = ref?.namespace ?? namespace;
      const pod = ref?.name ? store.get(R.pods, podNamespace, ref.name) : undefined;
      for (const host of entry.addresses ?? []) {
        const key = hostAndPort({ host, port });
        if (seen.has(key)) continue;
        seen.add(key);
        endpoints.push({ host, port, pod, name: ref?.name ? `${podNamespace}/${ref.name}` : key });
      }
    }
  }
  return endpoints;
}

/**
 * Ready endpoints behind a Service port (number or name; the first port when
 * undefined): from the Service's EndpointSlices when the store has any, else the
 * ready, non-terminating pods the selector matches, at their host ports.
 */
export function serviceEndpoints(
  store: Store,
  namespace: string,
  serviceName: string,
  port?: number | string,
): Endpoint[] {
  const service = store.get(R.services, namespace, serviceName);
  if (!service) return [];
  const ports: ServicePort[] = service.spec?.ports ?? [];
  const servicePort =
    port === undefined
      ? ports[0]
      : ports.find((p) => p.port === Number(port) || (p.name !== undefined && p.name === port));
  if (!servicePort) return [];
  const slices = store.list(R.endpointslices, namespace, `${SERVICE_NAME_LABEL}=${serviceName}`);
  if (slices.length > 0) return endpointsFromSlices(store, slices, namespace, servicePort);
  const target = servicePort.targetPort ?? servicePort.port;
  const endpoints: Endpoint[] = [];
  for (const pod of store.list(R.pods, namespace)) {
    if (!matchesMap(pod.metadata.labels, service.spec?.selector) || !isPodReady(pod)) continue;
    const hostPort = hostPortOf(pod, target);
    if (hostPort !== undefined)
      endpoints.push({
        host: "127.0.0.1",
        port: hostPort,
        pod,
        name: `${pod.metadata.namespace}/${pod.metadata.name}`,
      });
  }
  return endpoints;
}
