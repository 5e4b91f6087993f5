// `--set path=value` overrides and `${ENV}` interpolation, both applied to the
// raw document before validation so their results are validated like the file.
import { parse as parseYaml } from "yaml";
import type { ConfigIssue } from "../errors.ts";
import { formatPath, type Path } from "./issues.ts";
import type { FromEnvironment } from "./secrets.ts";
import { FORBIDDEN_KEYS, parseSetPath } from "./set-path.ts";

export type { Path } from "./issues.ts";

export interface Override {
  path: Path;
  value: unknown;
  source: string;
}

export function parseOverrides(sets: readonly string[]): { overrides: Override[]; issues: ConfigIssue[] } {
  const overrides: Override[] = [];
  const issues: ConfigIssue[] = [];
  for (const entry of sets) {
    const at = entry.indexOf("=");
    const rawPath = at === -1 ? entry : entry.slice(0, at);
    const path = parseSetPath(rawPath.trim());
    if (at === -1 || !path) {
      issues.push({
        path: "",
        location: `--set ${entry}`,
        message: "expected path=value, e.g. --set rollout.steps=[10,50,100]",
      });
      continue;
    }
    const forbidden = path.find((key) => typeof key === "string" && FORBIDDEN_KEYS.has(key));
    if (forbidden !== undefined) {
      issues.push({
        path: formatPath(path),
        location: `--set ${rawPath.trim()}`,
        message: `"${String(forbidden)}" is not a configuration field and cannot be set`,
      });
      continue;
    }
    const rawValue = entry.slice(at + 1);
    let value: unknown;
    try {
      // YAML so that numbers, booleans and [a, b] lists come through typed.
      value = rawValue === "" ? "" : parseYaml(rawValue);
    } catch {
      value = rawValue;
    }
    overrides.push({ path, value, source: `--set ${rawPath.trim()}` });
  }
  return { overrides, issues };
}

export function applyOverride(target: Record<string, unknown>, override: Override): void {
  let node: Record<string | number, unknown> = target;
  override.path.forEach((key, index) => {
    if (index === override.path.length - 1) {
      node[key] = override.value;
      return;
    }
    const next = node[key];
    if (next === null || typeof next !== "object") node[key] = typeof override.path[index + 1] === "number" ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  });
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces ${NAME} and ${NAME:-default} in every string. `$${` escapes. Returns
 * the paths whose value came (partly) from the environment, so that secret
 * fields filled from it can be redacted.
 */
export function interpolate(
  value: unknown,
  env: Record<string, string | undefined>,
  path: Path,
  issues: ConfigIssue[],
  /** Receives every value taken from the environment, with where it went (config/secrets.ts). */
  fromEnvironment?: FromEnvironment[],
): unknown {
  if (typeof value === "string") {
    return value.replace(
      /\$?\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
      (match, name: string, fallback?: string) => {
        if (match.startsWith("$$")) return match.slice(1);
        const found = env[name];
        if (found !== undefined && found !== "") {
          fromEnvironment?.push({ path, value: found });
          return found;
        }
        if (fallback !== undefined) return fallback;
        issues.push({
          path: formatPath(path),
          message: `environment variable ${name} is not set (write \${${name}:-default} for a default)`,
        });
        return "";
      },
    );
  }
  if (Array.isArray(value))
    return value.map((item, index) => interpolate(item, env, [...path, index], issues, fromEnvironment));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // `out.__proto__ = …` would set the object's prototype, not a field: refuse the key, as --set does.
      if (FORBIDDEN_KEYS.has(key)) {
        issues.push({ path: formatPath([...path, key]), message: `"${key}" is not a configuration field` });
        continue;
      }
      out[key] = interpolate(item, env, [...path, key], issues, fromEnvironment);
    }
    return out;
  }
  return value;
}

export { VARIABLE };
