// The node agent's API client: plain HTTPS requests with the kubeconfig's
// credentials (client-node's KubeConfig reads the file and fills in the CA, the
// client certificate or the token). Plain requests keep the objects exactly as
// the API server sends them (no typed models dropping fields) and let every
// call carry its own deadline; watches are streamed line by line.
import { request as httpRequest } from "node:http";
import { type RequestOptions, request as httpsRequest } from "node:https";
import { KubeConfig } from "@kubernetes/client-node";

/** A Kubernetes object as the API server sends it. */
// biome-ignore lint/suspicious/noExplicitAny: objects are handled unstructured, as the API sends them
export type KubeObject = Record<string, any>;

export class ApiError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  constructor(method: string, path: string, status: number, body: string) {
    let message = body.slice(0, 300);
    let reason: string | undefined;
    try {
      const parsed = JSON.parse(body);
      message = parsed.message ?? message;
      reason = parsed.reason;
    } catch {
      // Not a Status object: keep the raw text.
    }
    super(`${method} ${path}: ${status} ${message}`);
    this.status = status;
    this.reason = reason;
  }
}

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: KubeObject;
}

export const MERGE_PATCH = "application/merge-patch+json";

export class KubeApi {
  private readonly server: URL;
  private readonly base: RequestOptions;

  private constructor(server: URL, base: RequestOptions) {
    this.server = server;
    this.base = base;
  }

  /** The API server's address, as the kubeconfig names it. */
  get serverUrl(): URL {
    return new URL(this.server);
  }

  /** The cluster CA the kubeconfig trusts (what pods get as ca.crt), if it names one. */
  get caPem(): string | undefined {
    const ca = this.base.ca;
    if (!ca) return undefined;
    return (Array.isArray(ca) ? ca : [ca]).map((c) => c.toString()).join("\n");
  }

  static async fromKubeconfig(path: string): Promise<KubeApi> {
    const config = new KubeConfig();
    config.loadFromFile(path);
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error(`${path}: no current cluster in this kubeconfig`);
    const base: RequestOptions = { headers: {} };
    await config.applyToHTTPSOptions(base);
    return new KubeApi(new URL(cluster.server), base);
  }

  /** One request; resolves with the parsed body of a 2xx answer, throws ApiError otherwise. */
  async request(
    method: string,
    path: string,
    body?: unknown,
    options: { contentType?: string; timeoutMs?: number } = {},
  ): Promise<KubeObject> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const timeoutMs = options.timeoutMs ?? 15_000;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = this.open(method, path, {
        timeoutMs,
        headers: payload
          ? { "content-type": options.contentType ?? "application/json", "content-length": Buffer.byteLength(payload) }
          : {},
        onResponse: (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      });
      req.on("error", reject);
      req.end(payload);
    });
    if (status < 200 || status >= 300) throw new ApiError(method, path, status, text);
    return text ? JSON.parse(text) : {};
  }

  /**
   * Streams a watch: calls onEvent for every event until the server ends the
   * stream (resolves) or it fails (rejects). `idleMs` bounds the silence between
   * events; the server's timeoutSeconds and bookmarks keep a healthy stream talking.
   */
  watch(path: string, onEvent: (event: WatchEvent) => void, signal: AbortSignal, idleMs = 120_000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const req = this.open("GET", path, {
        timeoutMs: idleMs,
        signal,
        headers: {},
        onResponse: (res) => {
          if ((res.statusCode ?? 0) !== 200) {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("end", () =>
              reject(new ApiError("GET", path, res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"))),
            );
            return;
          }
          let buffered = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            buffered += chunk;
            let newline = buffered.indexOf("\n");
            while (newline >= 0) {
              const line = buffered.slice(0, newline).trim();
              buffered = buffered.slice(newline + 1);
              try {
                if (line) onEvent(JSON.parse(line) as WatchEvent);
              } catch (error) {
                // A garbled line or a failing handler ends this watch; the caller starts another.
                req.destroy(error as Error);
                return;
              }
              newline = buffered.indexOf("\n");
            }
          });
          res.on("end", () => resolve());
          res.on("error", reject);
          res.on("aborted", () => reject(new Error(`GET ${path}: watch stream aborted`)));
        },
      });
      req.on("error", reject);
      req.end();
    });
  }

  private open(
    method: string,
    path: string,
    options: {
      timeoutMs: number;
      headers: Record<string, string | number>;
      signal?: AbortSignal;
      onResponse: (res: import("node:http").IncomingMessage) => void;
    },
  ) {
    const url = new URL(path, this.server);
    const request = url.protocol === "http:" ? httpRequest : httpsRequest;
    const req = request(
      url,
      {
        ...this.base,
        method,
        signal: options.signal,
        headers: { ...this.base.headers, accept: "application/json", ...options.headers },
      },
      options.onResponse,
    );
    // No answer (or, for a watch, no event) within the deadline: give up on this request.
    req.setTimeout(options.timeoutMs, () =>
      req.destroy(new Error(`${method} ${url.pathname}: no answer within ${options.timeoutMs} ms`)),
    );
    return req;
  }
}

/** True for the API server's 404 Not Found. */
export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}

/** True for 409 Conflict (a stale resourceVersion, a UID precondition, or AlreadyExists). */
export function isConflict(error: unknown): boolean {
  return error instanceof ApiError && error.status === 409;
}
