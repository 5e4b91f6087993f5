// Test-only knobs, honoured only when GRAYCTL_TEST=1 (the test runner sets it;
// a user never does). Each exists because a test must reproduce a condition a
// real machine has and a test machine does not.
//   GRAYCTL_TEST_CLOCK_SKEW_MS  this process's wall clock runs that many ms ahead
//                               (negative: behind), as on a machine with a wrong
//                               clock; its monotonic clock is untouched.
//   GRAYCTL_TEST_REQUEST_TIMEOUT_MS  one API request's deadline (default 10 s), and
//   GRAYCTL_TEST_CALL_BUDGET_MS      one call's retry budget (default 20 s): scaled
//                               down so that an API outage longer than both fits a
//                               test of seconds rather than minutes.
//   GRAYCTL_TEST_SERVICE_ACCOUNT_DIR  where a pod's ServiceAccount token, CA and
//                               namespace are mounted (default
//                               /var/run/secrets/kubernetes.io/serviceaccount). That
//                               path is one for the whole machine: a test that wrote
//                               there would make every kubectl and grayctl on the
//                               machine (other suites running meanwhile) believe it
//                               runs in a pod. The real-cluster suite uses the real
//                               path, in a mount namespace of its own.
import { type Clock, skewedClock, systemClock } from "../../kube/clock.ts";

export function clockFor(env: Record<string, string | undefined>): Clock {
  if (env.GRAYCTL_TEST !== "1") return systemClock;
  const skew = Number(env.GRAYCTL_TEST_CLOCK_SKEW_MS ?? 0);
  return Number.isFinite(skew) && skew !== 0 ? skewedClock(systemClock, skew) : systemClock;
}

/** Request deadline and retry budget, when a test scales them down. */
export function timeoutsFor(env: Record<string, string | undefined>): {
  requestTimeoutMs?: number;
  callBudgetMs?: number;
} {
  if (env.GRAYCTL_TEST !== "1") return {};
  const ms = (value: string | undefined) => {
    const parsed = Number(value);
    return value && Number.isFinite(parsed) && parsed > 0 ? parsed : undefined;
  };
  return {
    requestTimeoutMs: ms(env.GRAYCTL_TEST_REQUEST_TIMEOUT_MS),
    callBudgetMs: ms(env.GRAYCTL_TEST_CALL_BUDGET_MS),
  };
}

/** Where the in-cluster ServiceAccount is mounted, when a test moves it (see above). */
export function serviceAccountDirFor(env: Record<string, string | undefined>): string | undefined {
  return env.GRAYCTL_TEST === "1" ? env.GRAYCTL_TEST_SERVICE_ACCOUNT_DIR || undefined : undefined;
}
