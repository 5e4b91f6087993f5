// Every byte grayctl writes passes through one Redactor. Code that reads a
// secret (registry password, bearer token, kubeconfig token, a value the
// configuration takes from the environment) registers it here with add()
// before it could possibly be printed. The reporter's redactor is the one
// registry: `reporter.redact(secret)` adds to it, and everything that leaves
// the process (output, CI reports, notifications, state, Events) is masked by
// it *before* it is escaped, cut or encoded (docs/decisions/037-secrets-everywhere.md).

const MASK = "***";
// Below this length a "secret" would mask ordinary words; such values are not
// secrets worth the name, and masking them would garble output.
const MIN_SECRET_LENGTH = 4;
// A base64 fragment shorter than this could occur by chance in any base64 text.
const MIN_ENCODED_LENGTH = 6;

/**
 * The forms a secret travels in besides itself: base64 (basic auth, docker
 * config, a script's `base64`), also when it sits at byte 1 or 2 of a longer
 * encoded value ("user:TOKEN"), as the GitHub Actions runner masks it; base64url;
 * URL-encoded (a query parameter, a form); and JSON-escaped (a string inside JSON).
 */
export function secretForms(secret: string): string[] {
  const bytes = Buffer.from(secret);
  const forms = new Set<string>([secret]);
  forms.add(encodeURIComponent(secret));
  forms.add(JSON.stringify(secret).slice(1, -1));
  for (const shift of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString("base64");
    // Characters that depend on the shift's filler bytes, or on whatever follows the secret, are left out.
    const start = shift === 0 ? 0 : 4;
    const whole = (shift + bytes.length) % 3 === 0;
    const end = whole ? encoded.length : encoded.length - 4;
    if (shift === 0) forms.add(encoded);
    for (const fragment of [encoded.slice(start, end)]) {
      if (fragment.length < MIN_ENCODED_LENGTH) continue;
      forms.add(fragment);
      forms.add(fragment.replace(/\+/g, "-").replace(/\//g, "_"));
    }
  }
  forms.add(bytes.toString("base64url"));
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH);
}

export class Redactor {
  private readonly secrets = new Set<string>();
  private sorted: string[] | undefined;

  /** Registers a secret (and its encodings, secretForms) to be masked from now on. */
  add(secret: string | undefined): void {
    if (!secret || secret.length < MIN_SECRET_LENGTH) return;
    for (const form of secretForms(secret)) this.secrets.add(form);
    this.sorted = undefined;
  }

  text(input: string): string {
    // Longest first, so a secret containing another is masked whole.
    this.sorted ??= [...this.secrets].sort((a, b) => b.length - a.length);
    let out = input;
    for (const secret of this.sorted) if (out.includes(secret)) out = out.split(secret).join(MASK);
    return out;
  }

  /** Deep copy of a value with every string redacted. */
  value<T>(input: T): T {
    if (typeof input === "string") return this.text(input) as T;
    if (Array.isArray(input)) return input.map((item) => this.value(item)) as T;
    // Plain objects only: a Date (or another class's instance) is kept as it is, not flattened to {}.
    if (
      input !== null &&
      typeof input === "object" &&
      [Object.prototype, null].includes(Object.getPrototypeOf(input))
    ) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(input)) out[key] = this.value(item);
      return out as T;
    }
    return input;
  }
}
