// The PATCH content types of the Kubernetes API: JSON merge patch (RFC 7386),
// JSON patch (RFC 6902, test op included) and strategic merge patch, which only
// built-in types accept (custom resources answer 415, as a real API server does).
import type { ResourceType } from "../resources.ts";
import { strategicMerge } from "./strategic.ts";
import { apiError, badRequest, unsupportedMediaType } from "./status.ts";

type Json = unknown;
type JsonObject = Record<string, Json>;

export const MERGE_PATCH = "application/merge-patch+json";
export const JSON_PATCH = "application/json-patch+json";
export const STRATEGIC_PATCH = "application/strategic-merge-patch+json";
export const APPLY_PATCH = "application/apply-patch+yaml";

export const isObject = (value: Json): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** RFC 7386: objects merge recursively, null deletes, everything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

export interface JsonPatchOp {
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  path: string;
  from?: string;
  value?: Json;
}

const patchFailed = (message: string) =>
  apiError(422, "Invalid", `the server rejected our request due to an error in our request: ${message}`);

function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw badRequest(`invalid JSON pointer ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split("/")
    .map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function parentOf(doc: Json, tokens: string[], pointer: string): { parent: JsonObject | Json[]; key: string } {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isObject(node)) node = node[token];
    else node = undefined;
    if (node === undefined) throw patchFailed(`missing path: ${pointer}`);
  }
  if (!Array.isArray(node) && !isObject(node)) throw patchFailed(`missing path: ${pointer}`);
  return { parent: node, key: tokens[tokens.length - 1] };
}

function arrayIndex(list: Json[], key: string, pointer: string, allowEnd: boolean): number {
  if (key === "-" && allowEnd) return list.length;
  if (!/^(0|[1-9]\d*)$/.test(key)) throw patchFailed(`invalid array index in ${pointer}`);
  const index = Number(key);
  if (index > list.length || (!allowEnd && index === list.length))
    throw patchFailed(`array index out of bounds: ${pointer}`);
  return index;
}

function getAt(doc: Json, pointer: string): Json {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return doc;
  const { parent, key } = parentOf(doc, tokens, pointer);
  const value = Array.isArray(parent) ? parent[arrayIndex(parent, key, pointer, false)] : parent[key];
  if (value === undefined) throw patchFailed(`missing path: ${pointer}`);
  return value;
}

function removeAt(doc: Json, pointer: string): Json {
  const tokens = parsePointer(pointer);
  const { parent, key } = parentOf(doc, tokens, pointer);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, pointer, false), 1)[0];
  if (!(key in parent)) throw patchFailed(`missing path: ${pointer}`);
  const value = parent[key];
  delete parent[key];
  return value;
}

function addAt(doc: Json, pointer: string, value: Json, replace: boolean): Json {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return structuredClone(value);
  const { parent, key } = parentOf(doc, tokens, pointer);
  if (Array.isArray(parent)) {
    const index = arrayIndex(parent, key, pointer, !replace);
    parent.splice(index, replace ? 1 : 0, structuredClone(value));
  } else {
    if (replace && !(key in parent)) throw patchFailed(`missing path: ${pointer}`);
    parent[key] = structuredClone(value);
  }
  return doc;
}

/** RFC 6902. All-or-nothing: works on a copy. */
export function jsonPatch(target: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw badRequest("a JSON patch must be an array of operations");
  let doc = structuredClone(target);
  for (const raw of ops as JsonPatchOp[]) {
    if (!isObject(raw) || typeof raw.path !== "string")
      throw badRequest(`invalid JSON patch operation ${JSON.stringify(raw)}`);
    switch (raw.op) {
      case "add":
        doc = addAt(doc, raw.path, raw.value, false);
        break;
      case "replace":
        doc = addAt(doc, raw.path, raw.value, true);
        break;
      case "remove":
        removeAt(doc, raw.path);
        break;
      case "move": {
        const value = removeAt(doc, raw.from ?? "");
        doc = addAt(doc, raw.path, value, false);
        break;
      }
      case "copy":
        doc = addAt(doc, raw.path, getAt(doc, raw.from ?? ""), false);
        break;
      case "test":
        if (JSON.stringify(canonical(getAt(doc, raw.path))) !== JSON.stringify(canonical(raw.value))) {
          throw patchFailed(`testing value ${raw.path} failed: test failed`);
        }
        break;
      default:
        throw badRequest(`unknown JSON patch operation ${JSON.stringify(raw.op)}`);
    }
  }
  return doc;
}

/** Key order must not matter when comparing for the test op. */
function canonical(value: Json): Json {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, canonical(value[k])]),
  );
}

/** Content-Type without parameters ("; charset=utf-8"). */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0].trim().toLowerCase();
}

/** Applies a parsed patch body to an object of type t. */
export function applyPatch(t: ResourceType, contentType: string | undefined, current: Json, patch: Json): Json {
  const media = mediaType(contentType);
  switch (media) {
    case MERGE_PATCH:
      if (!isObject(patch)) throw badRequest("a merge patch must be a JSON object");
      return mergePatch(current, patch);
    case JSON_PATCH:
      return jsonPatch(current, patch);
    case STRATEGIC_PATCH:
      if (!t.builtin) throw unsupportedMediaType(media);
      if (!isObject(patch)) throw badRequest("a strategic merge patch must be a JSON object");
      return strategicMerge(current, patch);
    default:
      throw unsupportedMediaType(media);
  }
}
