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
