// Simulated traffic for the side-by-side rule comparison: one trial is one
// rollout, cut into 10-second looks; each look carries per-track request,
// error and latency-bucket counts for that interval only. Counts are drawn
// per look (Poisson / binomial), not per request, so 100,000 rollouts run in
// minutes. Every rule sees the same looks of the same trial.
import type { Bucket } from "../../src/analysis/histogram.ts";
import { poisson, type Random } from "../../src/analysis/random.ts";

export const LOOK_SECONDS = 10;
export const STEP_SECONDS = 60;
export const STEPS = 5;
export const CANARY_SHARE = 0.05;
/** Prometheus-like buckets (seconds), +Inf last. */
export const BOUNDS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, Number.POSITIVE_INFINITY];
/** Stable's latency: log-normal, σ 0.5, p99 = 0.24 s (just under the 0.25 s bucket). */
const SIGMA = 0.5;
const STABLE_P99 = 0.24;
const Z99 = 2.3263478740408408;
const MU = Math.log(STABLE_P99) - Z99 * SIGMA;

export interface Scenario {
  name: string;
  kind: "good" | "bad";
  /** Total requests/s at second t of the rollout. */
  rps: (t: number) => number;
  /** Error rate per track at second t (before any burst factor). */
  stableErrorRate: (t: number) => number;
  canaryErrorRate: (t: number) => number;
  /** Canary latency = stable latency × this. */
  canaryLatencyScale: number;
  /** Errors in bursts (see `burst`). */
  bursty?: boolean;
}

const flat = (x: number) => () => x;
const good = (name: string, rps: number): Scenario => ({
  name,
  kind: "good",
  rps: flat(rps),
  stableErrorRate: flat(0.01),
  canaryErrorRate: flat(0.01),
  canaryLatencyScale: 1,
});
const bad = (name: string, canaryErrorRate: number, canaryLatencyScale = 1): Scenario => ({
  ...good(name, 100),
  kind: "bad",
  canaryErrorRate: flat(canaryErrorRate),
  canaryLatencyScale,
});
/** A rate swinging with load: 50 → 200 req/s over the rollout, errors rising with load on both tracks. */
const diurnalRps = (t: number) => 50 + 150 * (t / (STEPS * STEP_SECONDS));
const loadErrors = (t: number) => 0.01 * (diurnalRps(t) / 100);

export const scenarios: Scenario[] = [
  good("good-100rps", 100),
  good("good-1000rps", 1000),
  good("good-1rps", 1),
  { ...good("good-bursty", 100), bursty: true },
  { ...good("good-diurnal", 100), rps: diurnalRps, stableErrorRate: loadErrors, canaryErrorRate: loadErrors },
  bad("bad-2x", 0.02),
  bad("bad-5x", 0.05),
  bad("bad-20x", 0.2),
  bad("bad-100pct", 1),
  bad("latency-30pct", 0.01, 1.3),
  bad("latency-100pct", 0.01, 2),
];

export interface TrackLook {
  requests: number;
  errors: number;
  /** Cumulative bucket counts, as Prometheus' `le` buckets. */
  buckets: Bucket[];
}
export interface Look {
  /** Seconds since the rollout started, at the end of this look. */
  t: number;
  canary: TrackLook;
  stable: TrackLook;
}

function normalCdf(z: number): number {
  // Abramowitz–Stegun 7.1.26 on erf; plenty for bucket probabilities.
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Probability of each bucket (not cumulative) for a latency scale. */
export function bucketProbabilities(scale: number): number[] {
  const cdf = BOUNDS.map((le) => (Number.isFinite(le) ? normalCdf((Math.log(le / scale) - MU) / SIGMA) : 1));
  return cdf.map((c, i) => c - (i === 0 ? 0 : cdf[i - 1]));
}

/** Binomial(n, p) by skipping geometric gaps: O(n·min(p, 1−p)) draws. */
export function binomial(n: number, p: number, random: Random): number {
  if (p <= 0 || n <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomial(n, 1 - p, random);
  const logQ = Math.log1p(-p);
  let k = 0;
  let position = 0;
  for (;;) {
    position += Math.floor(Math.log(1 - random()) / logQ) + 1;
    if (position > n) return k;
    k++;
  }
}

/** Gamma(shape < 1, scale 1) by Ahrens–Dieter GS, for the burst factor. */
function gammaSmall(shape: number, random: Random): number {
  const b = (Math.E + shape) / Math.E;
  for (;;) {
    const p = b * random();
    if (p <= 1) {
      const x = p ** (1 / shape);
      if (random() <= Math.exp(-x)) return x;
    } else {
      const x = -Math.log((b - p) / shape);
      if (random() <= x ** (shape - 1)) return x;
    }
  }
}

function track(mean: number, errorRate: number, probabilities: number[], random: Random): TrackLook {
  let running = 0;
  const buckets: Bucket[] = [];
  for (let i = 0; i < BOUNDS.length; i++) {
    running += poisson(mean * probabilities[i], random);
    buckets.push({ le: BOUNDS[i], count: running });
  }
  return { requests: running, errors: binomial(running, Math.min(1, errorRate), random), buckets };
}

/** A trial's looks, drawn lazily: a rule that stops early costs nothing further. */
export function trafficOf(scenario: Scenario, random: Random) {
  const stableBuckets = bucketProbabilities(1);
  const canaryBuckets = bucketProbabilities(scenario.canaryLatencyScale);
  return (index: number): Look => {
    const t = (index + 1) * LOOK_SECONDS;
    const mid = t - LOOK_SECONDS / 2;
    const requests = scenario.rps(mid) * LOOK_SECONDS;
    // Bursts: a shared dependency's hiccups scale both tracks' errors alike
    // (Gamma, mean 1, CV 1.4), and a stable pod's own incidents add clusters
    // of errors to stable alone (10 % of looks, ~20 errors each).
    const shared = scenario.bursty ? 2 * gammaSmall(0.5, random) : 1;
    const canary = track(requests * CANARY_SHARE, scenario.canaryErrorRate(mid) * shared, canaryBuckets, random);
    const stable = track(requests * (1 - CANARY_SHARE), scenario.stableErrorRate(mid) * shared, stableBuckets, random);
    if (scenario.bursty && random() < 0.1) {
      const extra = Math.min(stable.requests - stable.errors, Math.floor(Math.log(1 - random()) / Math.log(0.95)));
      stable.errors += Math.max(0, extra);
    }
    return { t, canary, stable };
  };
}
