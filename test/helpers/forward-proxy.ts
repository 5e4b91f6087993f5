// A real forward proxy (node:http), as a corporate network has one: CONNECT
// tunnels for https and absolute-form requests for plain http. It counts what
// went through it, and resolves the test's made-up host names (`hosts`) to
// loopback itself, as a proxy resolves names its clients cannot: a client that
// bypasses it cannot reach those hosts at all.
import { createServer, request as httpRequest, type Server } from "node:http";
import { connect, type Socket } from "node:net";

export interface ForwardProxy {
  url: string;
  /** "CONNECT host:port" and "GET http://host:port/path", in order. */
  seen: string[];
  stop(): Promise<void>;
}

export async function startForwardProxy(hosts: Record<string, string> = {}): Promise<ForwardProxy> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const resolve = (host: string) => hosts[host] ?? host;
  const server: Server = createServer((req, res) => {
    // Plain http through the proxy: the request line carries the absolute URL.
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url ?? "");
    const upstream = httpRequest(
      {
        host: resolve(target.hostname),
        port: target.port || 80,
        method: req.method,
        path: `${target.pathname}${target.search}`,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on("connect", (req, client: Socket, head) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? "").split(/:(?=\d+$)/);
    const upstream = connect(Number(port), resolve(host), () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) upstream.write(head);
      client.pipe(upstream).pipe(client);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
