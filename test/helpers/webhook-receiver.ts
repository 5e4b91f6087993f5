// A real local HTTP server that receives grayctl's webhooks (notifications,
// hook calls) and records what it accepted. `answer` decides per request: a
// status, and how long to wait before answering.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
  /** The receiver answered and the client was still there to read it. */
  delivered: boolean;
  status: number;
}

export interface WebhookReceiver {
  url: string;
  received: Received[];
  /** Only the requests it answered 2xx to a client that was still waiting. */
  accepted(path?: string): Received[];
  answer: (request: { path: string; body: string; attempt: number }) => { status: number; delayMs?: number };
  stop(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const attempts = new Map<string, number>();
  const receiver: WebhookReceiver = {
    url: "",
    received,
    accepted: (path) =>
      received.filter((r) => r.delivered && r.status < 300 && (path === undefined || r.path.startsWith(path))),
    answer: () => ({ status: 200 }),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const path = req.url ?? "/";
      const key = `${path} ${body}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      const { status, delayMs = 0 } = receiver.answer({ path, body, attempt });
      const entry: Received = { path, headers: req.headers, body, delivered: false, status };
      received.push(entry);
      setTimeout(() => {
        if (res.destroyed) return;
        res.statusCode = status;
        res.end("ok", () => {
          entry.delivered = !res.destroyed;
        });
      }, delayMs);
    });
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}
