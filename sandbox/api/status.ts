// Every error the API answers is a Kubernetes Status object, so kubectl prints
// "Error from server (Reason): message" and client-node's ApiException carries
// a body callers can parse, exactly as against a real API server.
import type { ServerResponse } from "node:http";
import { StoreError } from "../store.ts";

export function apiError(code: number, reason: string, message: string, details?: StoreError["details"]): StoreError {
  return new StoreError(code, reason, message, details);
}

export const badRequest = (message: string) => apiError(400, "BadRequest", message);
export const invalid = (message: string) => apiError(422, "Invalid", message);
export const notFoundPath = (path: string) =>
  apiError(404, "NotFound", `the server could not find the requested resource (${path})`);
export const methodNotAllowed = (method: string, path: string) =>
  apiError(
    405,
    "MethodNotAllowed",
    `the server does not allow this method on the requested resource (${method} ${path})`,
  );
export const unsupportedMediaType = (contentType: string) =>
  apiError(
    415,
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got ${contentType || "none"})`,
  );

export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Any thrown value becomes a Status body; unexpected errors are 500 InternalError, never a stack trace. */
export function sendError(res: ServerResponse, error: unknown, headers: Record<string, string> = {}): void {
  const storeError =
    error instanceof StoreError
      ? error
      : apiError(
          500,
          "InternalError",
          `Internal error occurred: ${error instanceof Error ? error.message : String(error)}`,
        );
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, storeError.code, storeError.toStatus(), headers);
}

export function successStatus(details: StoreError["details"] & { uid?: string }) {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details };
}
