// A minimal HTTPS client for the launcher's own calls (readiness, CRDs): the
// launcher runs before any kubeconfig exists and needs nothing but the CA and
// a token. Every call has a timeout.
import { request } from "node:https";

export interface ApiTarget {
  server: string;
  caPem: string;
  token: string;
}

export interface ApiAnswer {
  status: number;
  body: string;
}

export function apiCall(target: ApiTarget, method: string, path: string, body?: unknown, timeoutMs = 10_000) {
  const url = new URL(path, target.server);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<ApiAnswer>((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: target.caPem,
        timeout: timeoutMs,
        headers: {
          authorization: `Bearer ${target.token}`,
          accept: "application/json",
          ...(payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** Polls until check() returns a value, or throws naming what it waited for. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = ` (last error: ${(error as Error).message})`;
    }
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
