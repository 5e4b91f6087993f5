// Which loopback ports serve a pod or a Service: shared by the pod/service
// proxies, the front door and the Prometheus targets.
//
// Pods are real processes on 127.0.0.1, each on its own host port. The runtime
// records the mapping from container port to host port in this annotation
// (JSON object, e.g. {"8080":41234}) when the process starts.
import { matchesMap } from "./labels.ts";
import { R } from "./resources.ts";
import type { KubeObject, Store } from "./store.ts";

export const HOST_PORTS_ANNOTATION = "sandbox.grayctl.dev/host-ports";

export interface Endpoint {
  pod: KubeObject;
  hostPort: number;
}

export function isPodReady(pod: KubeObject): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  const ready = (pod.status?.conditions ?? []).find((c: { type: string }) => c.type === "Ready");
  return ready?.status === "True";
}

/** Host port of a container port (number or named port) of a pod, if it is running. */
export function hostPortOf(pod: KubeObject, port: number | string): number | undefined {
  const raw = pod.metadata.annotations?.[HOST_PORTS_ANNOTATION];
  if (!raw) return undefined;
  const mapping = JSON.parse(raw) as Record<string, number>;
  let containerPort = port;
  if (typeof port === "string" && !/^\d+$/.test(port)) {
    for (const container of pod.spec?.containers ?? []) {
      for (const p of container.ports ?? []) if (p.name === port) containerPort = p.containerPort;
    }
  }
  return mapping[String(containerPort)];
}

/** Ready, non-terminating pods behind a Service port, with the host port to reach each. */
export function serviceEndpoints(
  store: Store,
  namespace: string,
  serviceName: string,
  port?: number | string,
): Endpoint[] {
  const service = store.get(R.services, namespace, serviceName);
  if (!service) return [];
  const ports: { port: number; name?: string; targetPort?: number | string }[] = service.spec?.ports ?? [];
  const servicePort =
    port === undefined
      ? ports[0]
      : ports.find((p) => p.port === Number(port) || (p.name !== undefined && p.name === port));
  if (!servicePort) return [];
  const target = servicePort.targetPort ?? servicePort.port;
  const endpoints: Endpoint[] = [];
  for (const pod of store.list(R.pods, namespace)) {
    if (!matchesMap(pod.metadata.labels, service.spec?.selector) || !isPodReady(pod)) continue;
    const hostPort = hostPortOf(pod, target);
    if (hostPort !== undefined) endpoints.push({ pod, hostPort });
  }
  return endpoints;
}
