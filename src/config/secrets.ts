// Which values of grayctl.yaml are secrets, decided on the interpolated
// document *before* it is validated: a configuration that fails validation is
// printed with its values (the field in error, a URL quoted whole), so its
// secrets must be known by then (docs/decisions/037-secrets-everywhere.md).
// The values go to the reporter's Redactor (src/output/redact.ts), which also
// masks their encodings.
import type { Path } from "./issues.ts";

/** A value that `${VAR}` put into the configuration, and where. */
export interface FromEnvironment {
  path: Path;
  value: string;
}

/**
 * Fields whose value is a credential wherever it comes from. Add a field here
 * when the schema gains one (a header pinning value, a password): it is then
 * masked everywhere, also when the configuration is invalid.
 */
export const SECRET_FIELDS = new Set(["bearerToken", "password"]);

/**
 * Fields in which a value taken from the environment is a secret: a URL may
 * carry a token in its path or query, a header a vendor's key, a command's
 * arguments a token (--token=${SMOKE_TOKEN}), a body anything.
 */
const FROM_ENVIRONMENT_SECRET = new Set(["url", "headers", "command", "body", ...SECRET_FIELDS]);

/** Sections whose `url` is its own credential (a Slack webhook carries the token in its path). */
const URL_IS_CREDENTIAL = new Set(["notify", "hooks"]);

/**
 * Headers that are not credentials. Every other header value is treated as
 * one: vendors name theirs freely (X-Honeycomb-Team, DD-API-KEY, X-Scope-OrgID),
 * and a name-based guess missed some.
 */
const PLAIN_HEADERS = new Set([
  "accept",
  "accept-encoding",
  "accept-language",
  "cache-control",
  "content-type",
  "content-encoding",
  "host",
  "user-agent",
  "x-requested-with",
]);

/** The secrets in an interpolated configuration, valid or not. */
export function configSecrets(document: unknown, fromEnvironment: readonly FromEnvironment[]): string[] {
  const values: string[] = [];
  for (const { path, value } of fromEnvironment)
    if (path.some((part) => typeof part === "string" && FROM_ENVIRONMENT_SECRET.has(part))) values.push(value);
  walk(document, [], (path, value) => {
    const field = path[path.length - 1];
    const parent = path[path.length - 2];
    if (typeof field === "string" && SECRET_FIELDS.has(field)) values.push(value);
    else if (parent === "headers" && typeof field === "string" && !PLAIN_HEADERS.has(field.toLowerCase())) {
      values.push(value);
      // "Bearer TOKEN": the token alone must not leak either.
      const scheme = /^\w+\s+(\S+)$/.exec(value);
      if (scheme) values.push(scheme[1]);
    } else if (field === "url" && URL_IS_CREDENTIAL.has(String(path[0]))) values.push(value);
  });
  return [...new Set(values.filter((v) => v.length > 0))];
}

function walk(value: unknown, path: Path, visit: (path: Path, value: string) => void): void {
  if (typeof value === "string") visit(path, value);
  else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) walk(item, [...path, index], visit);
  } else if (value !== null && typeof value === "object")
    for (const [key, item] of Object.entries(value)) walk(item, [...path, key], visit);
}
