// A ServiceAccount token made with `kubectl create token --duration=720h` stops
// working after 30 days, and the CI job that holds it fails on that day with a
// 401. grayctl reads the token's expiry from its JWT claims (the token is a
// JWT: header.payload.signature, base64url) and warns a week ahead, naming the
// user and the context, never the token. A token minted for the job (a lifetime
// of a day or less, from its `iat`) is short-lived on purpose: warning a week
// ahead would warn on every command; it is warned about only when it has less
// than half an hour left, when a rollout may outlive it (decision 036).

/** How long before the expiry grayctl starts warning. */
export const EXPIRY_WARNING_MS = 7 * 24 * 60 * 60 * 1000;
/** A token issued for at most this long is short-lived by design (a per-job token). */
export const SHORT_LIVED_MS = 24 * 60 * 60 * 1000;
/** How long before a short-lived token's expiry grayctl warns. */
export const SHORT_LIVED_WARNING_MS = 30 * 60 * 1000;

/** The `exp` (and `iat`, when present) claims of a JWT, or undefined for a token that is not a JWT or has no expiry. */
export function jwtTimes(token: string): { expiry: Date; issued?: Date } | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as { exp?: unknown; iat?: unknown };
    const time = (value: unknown) =>
      typeof value === "number" && Number.isFinite(value) ? new Date(value * 1000) : undefined;
    const expiry = time(claims.exp);
    return expiry ? { expiry, issued: time(claims.iat) } : undefined;
  } catch {
    return undefined;
  }
}

/** The `exp` claim of a JWT, or undefined for a token that is not a JWT or has no expiry (a legacy Secret token). */
export function jwtExpiry(token: string): Date | undefined {
  return jwtTimes(token)?.expiry;
}

/** The warning to print for this token, or undefined when it does not expire within the week. */
export function tokenExpiryWarning(
  token: string | undefined,
  who: { user?: string; context: string },
  now: Date,
): string | undefined {
  const times = token ? jwtTimes(token) : undefined;
  if (!times) return undefined;
  const { expiry, issued } = times;
  const left = expiry.getTime() - now.getTime();
  const shortLived = issued !== undefined && expiry.getTime() - issued.getTime() <= SHORT_LIVED_MS;
  if (left > (shortLived ? SHORT_LIVED_WARNING_MS : EXPIRY_WARNING_MS)) return undefined;
  const whose = `the token of user "${who.user ?? "?"}" (context "${who.context}")`;
  const when = expiry.toISOString().replace(/\.\d{3}Z$/, "Z");
  const fix = shortLived
    ? "a command running past it loses access mid-way: mint a fresh token for this job (see docs/ci-credentials.md)"
    : "renew it, or give CI a token that does not expire (a ServiceAccount token Secret) or OIDC: see docs/ci-credentials.md";
  if (left <= 0) return `${whose} expired on ${when}: ${fix}`;
  const days = Math.floor(left / (24 * 60 * 60 * 1000));
  const hours = Math.floor(left / (60 * 60 * 1000));
  const minutes = Math.floor(left / (60 * 1000));
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  const inWhat = days >= 1 ? plural(days, "day") : hours >= 1 ? plural(hours, "hour") : plural(minutes, "minute");
  return `${whose} expires on ${when} (in ${inWhat}): ${fix}`;
}
