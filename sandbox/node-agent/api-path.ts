// A pod's path to the API server (decision 039). In a real cluster every pod
// reaches the `kubernetes` Service at its ClusterIP (10.96.0.1:443) and kube-proxy
// relays it to the API server. Here the API server listens on the host's
// 127.0.0.1, which a pod in its own network namespace cannot reach, and there is
// no kube-proxy. So the agent opens, per pod, a listening socket at
// 10.96.0.1:443 inside the pod's namespace (the address on the pod's loopback)
// and relays every connection to the API server from the host's namespace.
// Node cannot enter a namespace itself: a short-lived helper started with
// `ip netns exec` creates the socket there and hands it to the agent over the
// IPC channel, then exits; the socket stays in the pod's namespace. TLS passes
// through untouched: the pod checks the API server's own certificate (which
// names 10.96.0.1) against the CA in its ServiceAccount volume.
import { spawn } from "node:child_process";
import { connect, type Server, type Socket } from "node:net";
import { run } from "./host-command.ts";

/** The first address of the control plane's service range: the `kubernetes` Service's ClusterIP. */
export const KUBERNETES_SERVICE_HOST = "10.96.0.1";
export const KUBERNETES_SERVICE_PORT = 443;

const HELPER = `
const net = require("node:net");
const server = net.createServer();
server.on("error", (e) => { process.send({ error: e.message }); process.exit(1); });
server.listen(${KUBERNETES_SERVICE_PORT}, "${KUBERNETES_SERVICE_HOST}", () =>
  process.send({ listening: true }, server, () => process.exit(0)));
`;

/** The service environment the kubelet gives every container (from the `kubernetes` Service). */
export function serviceEnvironment(): Record<string, string> {
  const host = KUBERNETES_SERVICE_HOST;
  const port = String(KUBERNETES_SERVICE_PORT);
  return {
    KUBERNETES_SERVICE_HOST: host,
    KUBERNETES_SERVICE_PORT: port,
    KUBERNETES_SERVICE_PORT_HTTPS: port,
    KUBERNETES_PORT: `tcp://${host}:${port}`,
    KUBERNETES_PORT_443_TCP: `tcp://${host}:${port}`,
    KUBERNETES_PORT_443_TCP_PROTO: "tcp",
    KUBERNETES_PORT_443_TCP_PORT: port,
    KUBERNETES_PORT_443_TCP_ADDR: host,
  };
}

export class ApiPath {
  private readonly apiHost: string;
  private readonly apiPort: number;

  constructor(apiServer: URL) {
    this.apiHost = apiServer.hostname.replace(/^\[|\]$/g, "");
    this.apiPort = Number(apiServer.port || 443);
  }

  /** Opens the Service address in the pod's namespace; close the result when the pod goes. */
  async open(netns: string): Promise<Server> {
    await run(["ip", "-n", netns, "addr", "replace", `${KUBERNETES_SERVICE_HOST}/32`, "dev", "lo"]);
    const server = await this.listenIn(netns);
    const sockets = new Set<Socket>();
    server.on("connection", (client: Socket) => {
      const upstream = connect(this.apiPort, this.apiHost);
      sockets.add(client).add(upstream);
      const end = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on("error", end).on("close", end);
      upstream.on("error", end).on("close", end);
      client.pipe(upstream).pipe(client);
    });
    // Closing the listener leaves open connections; the pod's end must go too.
    const close = server.close.bind(server);
    server.close = (callback?: (error?: Error) => void) => {
      for (const socket of sockets) socket.destroy();
      return close(callback);
    };
    return server;
  }

  private listenIn(netns: string): Promise<Server> {
    return new Promise((resolve, reject) => {
      const helper = spawn("ip", ["netns", "exec", netns, process.execPath, "-e", HELPER], {
        stdio: ["ignore", "ignore", "pipe", "ipc"],
      });
      let stderr = "";
      helper.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => helper.kill("SIGKILL"), 10_000);
      let settled = false;
      helper.on("message", (message: { listening?: boolean; error?: string }, handle: unknown) => {
        settled = true;
        clearTimeout(timer);
        if (message.listening && handle) resolve(handle as Server);
        else
          reject(
            new Error(
              `listening at ${KUBERNETES_SERVICE_HOST}:${KUBERNETES_SERVICE_PORT} in ${netns}: ${message.error}`,
            ),
          );
      });
      helper.on("exit", (code) => {
        clearTimeout(timer);
        if (!settled)
          reject(new Error(`ip netns exec ${netns} (API path helper) exited ${code}: ${stderr.trim().slice(0, 300)}`));
      });
    });
  }
}
