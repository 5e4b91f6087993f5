// Every byte grayctl writes passes through one Redactor. Code that reads a
// secret (registry password, bearer token, kubeconfig token) registers it here
// before it could possibly be printed.

const MASK = "***";
// Below this length a "secret" would mask ordinary words; such values are not
// secrets worth the name, and masking them would garble output.
const MIN_SECRET_LENGTH = 4;

export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined): void {
    if (!secret || secret.length < MIN_SECRET_LENGTH) return;
    this.secrets.add(secret);
    // The same secret often travels base64-encoded (basic auth, docker config).
    this.secrets.add(Buffer.from(secret).toString("base64"));
  }

  text(input: string): string {
    let out = input;
    // Longest first, so a secret containing another is masked whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join(MASK);
    return out;
  }

  /** Deep copy of a value with every string redacted. */
  value<T>(input: T): T {
    if (typeof input === "string") return this.text(input) as T;
    if (Array.isArray(input)) return input.map((item) => this.value(item)) as T;
    if (input !== null && typeof input === "object") {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(input)) out[key] = this.value(item);
      return out as T;
    }
    return input;
  }
}
