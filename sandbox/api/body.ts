// Request bodies: JSON for everything, YAML for server-side apply.
import type { IncomingMessage } from "node:http";
import { parse as parseYaml } from "yaml";
import { APPLY_PATCH, mediaType } from "./patch.ts";
import { apiError, badRequest } from "./status.ts";

const MAX_BODY_BYTES = 8 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw apiError(413, "RequestEntityTooLarge", "the request body is too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Parsed body, or undefined when the request has none. */
export async function readParsedBody(req: IncomingMessage): Promise<unknown> {
  const media = mediaType(req.headers["content-type"]);
  const raw = (await readBody(req)).toString("utf8");
  if (raw.trim() === "") return undefined;
  if (media.includes("protobuf") || media.includes("cbor")) {
    // kubectl's typed `create` subcommands (create namespace/configmap/...) send protobuf.
    throw apiError(
      415,
      "UnsupportedMediaType",
      `the sandbox API accepts JSON bodies only, not ${media}; use \`kubectl apply -f\` or \`kubectl create -f\` with a manifest`,
    );
  }
  try {
    return media === APPLY_PATCH || media === "application/yaml" ? parseYaml(raw) : JSON.parse(raw);
  } catch (error) {
    throw badRequest(`the request body could not be decoded: ${(error as Error).message}`);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A body that must be a Kubernetes object. */
export function requireObject(body: unknown): { metadata: Record<string, unknown> } & Record<string, unknown> {
  if (!isPlainObject(body)) throw badRequest("the request body must be a JSON object");
  if (body.metadata !== undefined && !isPlainObject(body.metadata)) throw badRequest("metadata must be an object");
  return { ...body, metadata: { ...((body.metadata as Record<string, unknown>) ?? {}) } };
}
