// Test support: pods served by small real HTTP servers on 127.0.0.1, recorded in
// the store the way the sandbox's pod runtime records its processes (host-port
// annotation, Ready condition). It lets the traffic tests exercise routing with
// real sockets without depending on the runtime; the servers answer like
// sandbox.local/demo-app (body = version, header x-version) and serve /metrics.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { HOST_PORTS_ANNOTATION } from "../endpoints.ts";
import { R } from "../resources.ts";
import type { KubeObject, Store } from "../store.ts";

export const CONTAINER_PORT = 8080;

export interface FakePod {
  name: string;
  port: number;
  /** Requests the process itself received. */
  served(): number;
  setReady(ready: boolean): void;
  stop(): Promise<void>;
}

export async function startFakePod(
  store: Store,
  pod: { namespace?: string; name: string; labels: Record<string, string>; version: string; ready?: boolean },
): Promise<FakePod> {
  const namespace = pod.namespace ?? "default";
  let served = 0;
  const server = http.createServer((req, res) => {
    served++;
    if (req.url === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(`# TYPE demo_requests_total counter\ndemo_requests_total ${served}\n`);
      return;
    }
    // Drain the body so that proxied POSTs complete, then echo its size.
    let size = 0;
    req.on("data", (chunk: Buffer) => (size += chunk.length));
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/plain", "x-version": pod.version, "x-body-bytes": String(size) });
      res.end(pod.version);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const readyCondition = (ready: boolean) => [{ type: "Ready", status: ready ? "True" : "False" }];
  const object: KubeObject = {
    metadata: {
      name: pod.name,
      labels: pod.labels,
      annotations: { [HOST_PORTS_ANNOTATION]: JSON.stringify({ [CONTAINER_PORT]: port }) },
    },
    spec: {
      containers: [
        { name: "app", image: `sandbox.local/demo-app:${pod.version}`, ports: [{ containerPort: CONTAINER_PORT }] },
      ],
    },
  };
  store.create(R.pods, namespace, object);
  const setReady = (ready: boolean) =>
    store.mutate(
      R.pods,
      namespace,
      pod.name,
      (p) => (p.status = { phase: "Running", conditions: readyCondition(ready) }),
      "status",
    );
  setReady(pod.ready ?? true);
  return {
    name: pod.name,
    port,
    served: () => served,
    setReady,
    stop: async () => {
      if (store.get(R.pods, namespace, pod.name)) store.delete(R.pods, namespace, pod.name);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A ClusterIP Service selecting `selector`, port 80 → the fake pods' container port. */
export function createService(
  store: Store,
  name: string,
  selector: Record<string, string>,
  namespace = "default",
): void {
  store.create(R.services, namespace, {
    metadata: { name },
    spec: { selector, ports: [{ name: "http", port: 80, targetPort: CONTAINER_PORT }] },
  });
}
