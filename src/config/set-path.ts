// The `--set` path grammar (`rollout.steps[0]`), shared by --set and a target's
// `set:` (schema-targets.ts). It imports nothing, so the schema can use it
// without pulling in the override machinery that itself reads the schema.

/** A path into the configuration: keys and array indexes (config/issues.ts's Path). */
export type SetPath = (string | number)[];

export function parseSetPath(text: string): SetPath | undefined {
  if (!/^[A-Za-z_$][\w-]*(\.[A-Za-z_$][\w-]*|\[\d+\])*$/.test(text)) return undefined;
  const path: SetPath = [];
  for (const [, key, index] of text.matchAll(/([A-Za-z_$][\w-]*)|\[(\d+)\]/g)) path.push(key ?? Number(index));
  return path;
}

/**
 * Keys that lead out of the configuration into JavaScript's objects: walking
 * `__proto__.x` would write Object.prototype (every object of the process) and
 * `constructor.prototype.x` the same. No grayctl field has these names.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);
