// Test-only knobs, honoured only when GRAYCTL_TEST=1 (the test runner sets it;
// a user never does). Each exists because a test must reproduce a condition a
// real machine has and a test machine does not.
//   GRAYCTL_TEST_CLOCK_SKEW_MS  this process's wall clock runs that many ms ahead
//                               (negative: behind), as on a machine with a wrong
//                               clock; its monotonic clock is untouched.
import { type Clock, skewedClock, systemClock } from "../../kube/clock.ts";

export function clockFor(env: Record<string, string | undefined>): Clock {
  if (env.GRAYCTL_TEST !== "1") return systemClock;
  const skew = Number(env.GRAYCTL_TEST_CLOCK_SKEW_MS ?? 0);
  return Number.isFinite(skew) && skew !== 0 ? skewedClock(systemClock, skew) : systemClock;
}
