// pod-template-hash: a short, stable name for a pod template. Kubernetes uses
// FNV-32a over the template plus a collision count, rendered in an alphabet
// without vowels; this does the same over a canonical (key-sorted) JSON form so
// that equal templates hash equally whatever their key order.

const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

const isEmpty = (value: unknown) =>
  value === null ||
  value === undefined ||
  (Array.isArray(value) && value.length === 0) ||
  (typeof value === "object" && !Array.isArray(value) && Object.keys(value as object).length === 0);

/**
 * Sorted keys, and no null, {} or [] anywhere: clients written against typed
 * structs send those zero values back (kubectl rollout undo sends
 * `metadata.creationTimestamp: null` and `resources: {}`), and a template that
 * only gained zero values is the same template.
 */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => [k, canonical((value as Record<string, unknown>)[k])] as const)
      .filter(([, v]) => !isEmpty(v));
    return Object.fromEntries(entries);
  }
  return value;
}

function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export function podTemplateHash(template: unknown, collisionCount = 0): string {
  let n = fnv32a(JSON.stringify(canonical(template)) + (collisionCount ? String(collisionCount) : ""));
  let out = "";
  do {
    out += SAFE_ALPHABET[n % SAFE_ALPHABET.length];
    n = Math.floor(n / SAFE_ALPHABET.length);
  } while (n > 0);
  return out;
}
