// Which kubeconfig tokens grayctl warns about (decision 036): a long-lived
// credential a week before it expires; a token minted for the job (issued for
// a day or less) only when under 30 minutes are left. The JWTs are built here
// from their claims, as the API server's TokenRequest issues them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { tokenExpiryWarning } from "../../src/kube/token-expiry.ts";

const NOW = new Date("2026-12-07T10:00:00Z");
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
/** A token issued `issuedAgoMs` before NOW (none when undefined) that expires `leftMs` after NOW. */
const jwt = (leftMs: number, issuedAgoMs?: number) => {
  const seconds = (ms: number) => Math.floor((NOW.getTime() + ms) / 1000);
  const claims = { sub: "system:serviceaccount:team:grayctl", exp: seconds(leftMs) };
  return `${part({ alg: "RS256" })}.${part(issuedAgoMs === undefined ? claims : { ...claims, iat: seconds(-issuedAgoMs) })}.c2ln`;
};
const who = { user: "ci-bot", context: "prod" };
const warn = (token: string) => tokenExpiryWarning(token, who, NOW);

test("a long-lived token (30 days, or no iat) is warned about within the week, with the date and days left", () => {
  assert.equal(warn(jwt(8 * DAY, 22 * DAY)), undefined);
  assert.equal(
    warn(jwt(3 * DAY + MIN, 27 * DAY)),
    'the token of user "ci-bot" (context "prod") expires on 2026-12-10T10:01:00Z (in 3 days): renew it, or give CI a token that does not expire (a ServiceAccount token Secret) or OIDC: see docs/ci-credentials.md',
  );
  assert.match(warn(jwt(5 * HOUR)) ?? "", /\(in 5 hours\): renew it/);
});

test("a token minted for the job (1 h, 2 h, a day) is quiet until under 30 minutes are left", () => {
  assert.equal(warn(jwt(59 * MIN, MIN)), undefined);
  assert.equal(warn(jwt(31 * MIN, 89 * MIN)), undefined);
  assert.equal(warn(jwt(12 * HOUR, 12 * HOUR)), undefined);
  assert.equal(
    warn(jwt(10 * MIN, 0)),
    'the token of user "ci-bot" (context "prod") expires on 2026-12-07T10:10:00Z (in 10 minutes): a command running past it loses access mid-way: mint a fresh token for this job (see docs/ci-credentials.md)',
  );
});

test("a token issued for just over a day is long-lived: warned within the week", () => {
  assert.match(warn(jwt(20 * HOUR, 4 * HOUR + MIN)) ?? "", /\(in 20 hours\): renew it/);
});

test("an expired token is named whatever its lifetime; a token that is not a JWT is never warned about", () => {
  assert.match(warn(jwt(-MIN, HOUR)) ?? "", /expired on 2026-12-07T09:59:00Z: a command running past it/);
  assert.match(warn(jwt(-MIN)) ?? "", /expired on 2026-12-07T09:59:00Z: renew it/);
  assert.equal(warn("opaque-legacy-token"), undefined);
  assert.equal(tokenExpiryWarning(undefined, who, NOW), undefined);
});
