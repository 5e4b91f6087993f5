// The JSON Schema generated from the zod schema: shipped for editors, and used
// here to list the known fields at a path for did-you-mean suggestions.
import { z } from "zod";
import { configSchema } from "./schema.ts";

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  [key: string]: unknown;
};

export const SCHEMA_ID = "https://grayctl.dev/schema/grayctl.schema.json";

export function configJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return { ...generated, $id: SCHEMA_ID, title: "grayctl.yaml" };
}

let cached: JsonSchema | undefined;

function variants(node: JsonSchema): JsonSchema[] {
  return [node, ...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])];
}

export function knownKeysAt(path: readonly (string | number)[]): string[] {
  cached ??= configJsonSchema() as JsonSchema;
  let nodes: JsonSchema[] = [cached];
  for (const part of path) {
    const next: JsonSchema[] = [];
    for (const node of nodes.flatMap(variants)) {
      if (typeof part === "number" && node.items) next.push(node.items);
      if (typeof part === "string" && node.properties?.[part]) next.push(node.properties[part]);
    }
    nodes = next;
  }
  const keys = new Set<string>();
  for (const node of nodes.flatMap(variants)) for (const key of Object.keys(node.properties ?? {})) keys.add(key);
  keys.delete("$schema");
  return [...keys];
}
