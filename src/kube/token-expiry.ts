// A ServiceAccount token made with `kubectl create token --duration=720h` stops
// working after 30 days, and the CI job that holds it fails on that day with a
// 401. grayctl reads the token's expiry from its JWT claims (the token is a
// JWT: header.payload.signature, base64url) and warns a week ahead, naming the
// user and the context, never the token.

/** How long before the expiry grayctl starts warning. */
export const EXPIRY_WARNING_MS = 7 * 24 * 60 * 60 * 1000;

/** The `exp` claim of a JWT, or undefined for a token that is not a JWT or has no expiry (a legacy Secret token). */
export function jwtExpiry(token: string): Date | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as { exp?: unknown };
    return typeof claims.exp === "number" && Number.isFinite(claims.exp) ? new Date(claims.exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}

/** The warning to print for this token, or undefined when it does not expire within the week. */
export function tokenExpiryWarning(
  token: string | undefined,
  who: { user?: string; context: string },
  now: Date,
): string | undefined {
  const expiry = token ? jwtExpiry(token) : undefined;
  if (!expiry) return undefined;
  const left = expiry.getTime() - now.getTime();
  if (left > EXPIRY_WARNING_MS) return undefined;
  const whose = `the token of user "${who.user ?? "?"}" (context "${who.context}")`;
  const when = expiry.toISOString().replace(/\.\d{3}Z$/, "Z");
  const fix =
    "renew it, or give CI a token that does not expire (a ServiceAccount token Secret) or OIDC: see docs/ci-credentials.md";
  if (left <= 0) return `${whose} expired on ${when}: ${fix}`;
  const days = Math.floor(left / (24 * 60 * 60 * 1000));
  const hours = Math.floor(left / (60 * 60 * 1000));
  const inWhat = days >= 1 ? `${days} day${days === 1 ? "" : "s"}` : `${hours} hour${hours === 1 ? "" : "s"}`;
  return `${whose} expires on ${when} (in ${inWhat}): ${fix}`;
}
