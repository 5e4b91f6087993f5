// Small helpers shared by the text reporters.
import type { Fields } from "./types.ts";

/** `key=value` pairs for plain lines; nested values as compact JSON. */
export function formatFields(fields: Fields | undefined): string {
  if (!fields) return "";
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const text = typeof value === "string" ? (/\s/.test(value) ? JSON.stringify(value) : value) : JSON.stringify(value);
    parts.push(`${key}=${text}`);
  }
  return parts.length ? ` ${parts.join(" ")}` : "";
}
