// Query-string selectors of list and watch requests. Field selectors are
// answered generically (any dotted path compared as a string), a superset of the
// per-type fields Kubernetes supports (metadata.name, metadata.namespace,
// status.phase, involvedObject.name, ...).
import { parseSelector } from "../labels.ts";
import type { KubeObject } from "../store.ts";
import { badRequest } from "./status.ts";

interface FieldRequirement {
  path: string[];
  equal: boolean;
  value: string;
}

export function parseFieldSelector(selector: string | null | undefined): FieldRequirement[] {
  if (!selector) return [];
  return selector
    .split(",")
    .filter((part) => part.trim() !== "")
    .map((part) => {
      const match = /^\s*([\w.-]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
      if (!match) throw badRequest(`invalid field selector: ${JSON.stringify(part)}`);
      return { path: match[1].split("."), equal: match[2] !== "!=", value: match[3] };
    });
}

function valueAt(obj: unknown, path: string[]): string {
  let node = obj;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return "";
    node = (node as Record<string, unknown>)[key];
  }
  return node === undefined || node === null ? "" : String(node);
}

export function matchesFields(obj: KubeObject, requirements: FieldRequirement[]): boolean {
  return requirements.every((req) => (valueAt(obj, req.path) === req.value) === req.equal);
}

/** Validates a label selector up front, so a bad one is a 400 and not a 500 later. */
export function checkLabelSelector(selector: string | null | undefined): string | undefined {
  if (!selector) return undefined;
  try {
    parseSelector(selector);
  } catch (error) {
    throw badRequest(`unable to parse requirement: ${(error as Error).message}`);
  }
  return selector;
}
