// Outcomes that mean "it did not go as asked": shown as errors, annotated as
// errors in CI.
export const FAILED_OUTCOMES = new Set([
  "error",
  "rolled-back",
  "timeout",
  "locked",
  "failed",
  "lease-lost",
  "unreachable",
  "pre-rollout-failed",
]);

/**
 * A failed outcome, unless its command says it did what was asked (fields.exitCode 0):
 * `rollback` and `abort` that rolled back succeeded, a rollout rolled back did not (003).
 */
export function isFailure(outcome: string, fields: { exitCode?: unknown }): boolean {
  return FAILED_OUTCOMES.has(outcome) && fields.exitCode !== 0;
}
