// Plain GET requests to an API server with a kubeconfig's credentials, answered
// as raw JSON: list responses must reach the mirror verbatim, which the typed
// client-node APIs do not give (they convert timestamps to Dates and drop
// unknown fields). client-node's KubeConfig supplies the TLS material, the
// bearer token or client certificate, and the agent.
import http from "node:http";
import https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import type { ResourceType } from "./resources.ts";

/** An API answer other than 2xx, with the Status body's fields when there was one. */
export class ApiStatusError extends Error {
  readonly statusCode: number;
  readonly reason?: string;
  constructor(statusCode: number, reason: string | undefined, message: string) {
    super(message);
    this.statusCode = statusCode;
    this.reason = reason;
  }
}

/** The collection path of a type: /api/v1[/namespaces/NS]/PLURAL or /apis/GROUP/VERSION[/namespaces/NS]/PLURAL. */
export function collectionPath(t: ResourceType, namespace?: string): string {
  const base = t.group === "" ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
  const scope = t.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  return `${base}${scope}/${t.plural}`;
}

/** "pods", "ingresses.networking.k8s.io": how kubectl names a resource. */
export const resourceName = (t: ResourceType) => (t.group ? `${t.plural}.${t.group}` : t.plural);

export async function getJson(
  config: KubeConfig,
  path: string,
  query: Record<string, string>,
  options: { signal: AbortSignal; timeoutMs: number },
): Promise<unknown> {
  const server = config.getCurrentCluster()?.server;
  if (!server) throw new Error("the kubeconfig has no current cluster");
  const url = new URL(server.replace(/\/+$/, "") + path);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  const requestOptions: https.RequestOptions = {};
  await config.applyToHTTPSOptions(requestOptions);
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]);
  const send = url.protocol === "https:" ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        ...requestOptions,
        method: "GET",
        headers: { ...requestOptions.headers, accept: "application/json" },
        signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300 && body !== undefined) return resolve(body);
          const fields = (body ?? {}) as { reason?: string; message?: string };
          reject(
            new ApiStatusError(
              status,
              fields.reason,
              `GET ${url.pathname}: ${status} ${fields.message ?? (text.slice(0, 200) || res.statusMessage)}`,
            ),
          );
        });
      },
    );
    req.on("error", (error) =>
      reject(signal.aborted && signal.reason instanceof Error ? signal.reason : (error as Error)),
    );
    req.end();
  });
}
