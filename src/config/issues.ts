// Turns schema issues into messages a person can act on: the field path, what
// was expected, and for unknown fields the nearest known name.
import type { z } from "zod";
import { knownKeysAt } from "./json-schema.ts";

/** A field's place in the configuration: keys and list indexes, outermost first. */
export type Path = (string | number)[];

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `a ${typeof value}`;
}

/** Levenshtein distance; small inputs only (field names). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; score: number } | undefined;
  for (const name of candidates) {
    const score = distance(input.toLowerCase(), name.toLowerCase());
    if (!best || score < best.score) best = { name, score };
  }
  if (!best) return undefined;
  return best.score <= Math.max(2, Math.floor(input.length / 3)) ? best.name : undefined;
}

export interface IssueText {
  path: (string | number)[];
  message: string;
}

/** One or more messages for a zod issue (unknown keys give one per key). */
export function describeIssue(issue: z.core.$ZodIssue): IssueText[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeysAt(path);
      return issue.keys.map((key) => {
        const suggestion = didYouMean(key, known);
        const hint = suggestion
          ? ` (did you mean "${suggestion}"?)`
          : known.length
            ? ` (known fields: ${known.join(", ")})`
            : "";
        return { path: [...path, key], message: `unknown field${hint}` };
      });
    }
    case "invalid_type":
      if (input === undefined) return [{ path, message: `is required (expected ${issue.expected})` }];
      return [{ path, message: `expected ${issue.expected}, got ${typeName(input)} ${describeValue(input)}` }];
    case "too_big":
      if (issue.origin === "number" || issue.origin === "int")
        return [{ path, message: `${describeValue(input)} is above ${issue.maximum}` }];
      return [{ path, message: `is too long (at most ${issue.maximum})` }];
    case "too_small":
      if (issue.origin === "number" || issue.origin === "int")
        return [
          {
            path,
            message: issue.inclusive
              ? `${describeValue(input)} is below ${issue.minimum}`
              : `${describeValue(input)} must be above ${issue.minimum}`,
          },
        ];
      if (issue.origin === "array")
        return [{ path, message: `needs at least ${issue.minimum} entr${issue.minimum === 1 ? "y" : "ies"}` }];
      return [{ path, message: `is too short (at least ${issue.minimum})` }];
    case "invalid_value": {
      const options = issue.values.map(String);
      const suggestion = typeof input === "string" ? didYouMean(input, options) : undefined;
      const hint = suggestion ? ` (did you mean "${suggestion}"?)` : "";
      return [{ path, message: `${describeValue(input)} is not one of ${options.join(", ")}${hint}` }];
    }
    case "invalid_union":
      return [{ path, message: `${describeValue(input)} is not valid here${unionHint(path)}` }];
    case "invalid_format":
      // A regex check carries our own message (e.g. "must be a DNS label …").
      if (issue.format === "regex") return [{ path, message: `${describeValue(input)} ${issue.message}` }];
      return [{ path, message: `${describeValue(input)} is not a valid ${issue.format}` }];
    default:
      return [{ path, message: issue.message }];
  }
}

function unionHint(path: (string | number)[]): string {
  const last = path[path.length - 2];
  if (last === "steps") return " (expected a weight 1..100 or { weight, pause })";
  return "";
}
