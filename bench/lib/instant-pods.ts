// Pods that are Running and Ready the moment they exist, for benchmarks that
// measure grayctl rather than process start-up: the sandbox's Deployment and
// ReplicaSet controllers without its process runtime, a stand-in kubelet that
// marks every pod ready (and removes deleted ones at once), and one shared
// HTTP server answering every pod's /healthz through the API server's pod proxy.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startControllers } from "../../sandbox/controllers/manager.ts";
import { HOST_PORTS_ANNOTATION } from "../../sandbox/endpoints.ts";
import { R } from "../../sandbox/resources.ts";
import type { Store } from "../../sandbox/store.ts";

const READY_MARK = "bench.grayctl.dev/ready";

export interface InstantPods {
  port: number;
  /** A pod object as the stand-in kubelet leaves it: Running, Ready, served by the shared server. */
  readyPod(namespace: string, name: string, labels: Record<string, string>): Record<string, unknown>;
  stop(): Promise<void>;
}

export async function startInstantPods(store: Store, options: { controllers: boolean }): Promise<InstantPods> {
  const server = createServer((_req, res) => res.writeHead(200, { "Content-Type": "text/plain" }).end("ok"));
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const controllers = options.controllers ? startControllers(store) : undefined;

  const markReady = (pod: { metadata: { namespace?: string; name?: string; deletionTimestamp?: string } }) => {
    const { namespace, name } = pod.metadata;
    if (!name) return;
    if (pod.metadata.deletionTimestamp) {
      store.delete(R.pods, namespace, name);
      return;
    }
    store.mutate(R.pods, namespace, name, (object) => {
      object.metadata.annotations = { ...object.metadata.annotations, ...hostPorts(object, port), [READY_MARK]: "1" };
    });
    store.mutate(R.pods, namespace, name, (object) => Object.assign(object, { status: readyStatus() }), "status");
  };
  const stopWatch = store.watch(R.pods, undefined, undefined, (event) => {
    if (event.type === "DELETED") return;
    const pod = event.object;
    if (pod.metadata.deletionTimestamp || !pod.metadata.annotations?.[READY_MARK])
      queueMicrotask(() => {
        try {
          markReady(pod);
        } catch {
          // gone or changed meanwhile: the next event brings it back here
        }
      });
  });

  return {
    port,
    readyPod: (namespace, name, labels) => ({
      metadata: {
        namespace,
        name,
        labels,
        annotations: { [HOST_PORTS_ANNOTATION]: JSON.stringify({ 8080: port }), [READY_MARK]: "1" },
      },
      spec: { containers: [{ name: "app", image: "sandbox.local/demo-app:v1", ports: [{ containerPort: 8080 }] }] },
      status: readyStatus(),
    }),
    async stop() {
      stopWatch();
      controllers?.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function hostPorts(pod: { spec?: unknown }, port: number): Record<string, string> {
  const containers = (pod.spec as { containers?: { ports?: { containerPort: number }[] }[] })?.containers ?? [];
  const mapping: Record<string, number> = {};
  for (const container of containers) for (const p of container.ports ?? []) mapping[p.containerPort] = port;
  return { [HOST_PORTS_ANNOTATION]: JSON.stringify(mapping) };
}

function readyStatus() {
  const now = new Date().toISOString();
  const condition = (type: string) => ({ type, status: "True", lastProbeTime: null, lastTransitionTime: now });
  return {
    phase: "Running",
    podIP: "127.0.0.1",
    hostIP: "127.0.0.1",
    startTime: now,
    conditions: ["PodScheduled", "Initialized", "ContainersReady", "Ready"].map(condition),
    containerStatuses: [
      { name: "app", ready: true, started: true, restartCount: 0, image: "", imageID: "", state: { running: {} } },
    ],
  };
}
