// Exact tail probabilities for the decision rule. Exact (not normal
// approximations) because the canary's counts at a 5 % share are small —
// a handful of errors — which is where approximations mislead.

const lanczos = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7; ~15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = lanczos[0];
  for (let i = 1; i < 9; i++) sum += lanczos[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

// Continued fraction for the incomplete beta function (modified Lentz).
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const maxIterations = 10_000 + Math.ceil(10 * Math.sqrt(Math.max(a, b)));
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= maxIterations; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  // Evaluate the fraction on the side where it converges fast and keeps small tails precise.
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(X ≥ k) for X ~ Binomial(n, p). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  return Math.min(1, Math.max(0, incompleteBeta(p, k, n - k + 1)));
}

/**
 * One-sided Fisher exact test: the probability, with both tracks sharing one
 * error rate, that the canary would show at least `canaryErrors` of all the
 * errors seen. Small values mean the canary is worse than stable.
 */
export function fisherUpperTail(
  canaryErrors: number,
  canaryRequests: number,
  stableErrors: number,
  stableRequests: number,
): number {
  const total = canaryRequests + stableRequests;
  const errors = canaryErrors + stableErrors;
  const lowest = Math.max(0, canaryRequests - (total - errors));
  const highest = Math.min(errors, canaryRequests);
  if (canaryErrors <= lowest) return 1;
  if (canaryErrors > highest) return 0;
  const logDenominator = logChoose(total, canaryRequests);
  const logTerm = (x: number) => logChoose(errors, x) + logChoose(total - errors, canaryRequests - x) - logDenominator;
  // Hypergeometric terms fall off geometrically past the mode: stop once they no longer matter.
  const mode = Math.floor(((canaryRequests + 1) * (errors + 1)) / (total + 2));
  let sum = 0;
  if (canaryErrors <= mode) {
    // At or below the expected count the p-value is large; sum the shorter lower tail instead.
    for (let x = canaryErrors - 1; x >= lowest; x--) {
      const term = Math.exp(logTerm(x));
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return Math.min(1, Math.max(0, 1 - sum));
  }
  for (let x = canaryErrors; x <= highest; x++) {
    const term = Math.exp(logTerm(x));
    sum += term;
    if (x > mode && term < sum * 1e-17) break;
  }
  return Math.min(1, sum);
}
