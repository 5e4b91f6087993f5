// A TLS front for a plain-http API (the sandbox): a real TLS server with a
// self-signed certificate made by openssl, piping each connection to the
// target. Lets tests point grayctl at an https API as a real cluster has one:
// the in-cluster configuration (always https), a wrong CA, a proxy's CONNECT.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:tls";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Certificate {
  certPem: string;
  keyPem: string;
}

/** A self-signed certificate for localhost and 127.0.0.1 (its own CA). */
export async function selfSigned(commonName = "localhost"): Promise<Certificate> {
  const dir = await mkdtemp(join(tmpdir(), "grayctl-cert-"));
  try {
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    await run("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      `/CN=${commonName}`,
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ]);
    return { certPem: await readFile(cert, "utf8"), keyPem: await readFile(key, "utf8") };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface TlsFront {
  url: string;
  port: number;
  certificate: Certificate;
  stop(): Promise<void>;
}

export async function startTlsFront(targetUrl: string): Promise<TlsFront> {
  const certificate = await selfSigned();
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  const server: Server = createServer({ cert: certificate.certPem, key: certificate.keyPem }, (client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    certificate,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
