// A Kayenta-style metric classifier (NetflixACAJudge, read from
// spinnaker/kayenta, Apache-2.0; written here from its description):
// drop NaNs, drop outliers beyond 3 × IQR (when the IQR is 0 nothing is
// dropped — our simplification of its "reduced sensitivity"), then a
// Mann–Whitney 98 % confidence interval for the shift canary − baseline
// (distribution-free: order statistics of the pairwise differences, normal
// approximation, no tie correction), and "High" when the interval's lower
// end is above 0.25 × |Hodges–Lehmann estimate|. A metric series of per-10 s
// error rates is mostly zeros at a small canary share — which is why this
// judge misses sparse errors (kayenta #426).

const Z_98 = 2.3263478740408408; // two-sided 98 %

function quantile7(sorted: number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  return sorted[lo] + (h - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? sorted[lo]) - sorted[lo]);
}

function clean(values: number[]): number[] {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length < 4) return finite;
  const q1 = quantile7(finite, 0.25);
  const q3 = quantile7(finite, 0.75);
  const iqr = q3 - q1;
  if (iqr === 0) return finite;
  return finite.filter((v) => v >= q1 - 3 * iqr && v <= q3 + 3 * iqr);
}

/** True when the canary's series is classified High against the baseline's. */
export function kayentaHigh(canaryValues: number[], baselineValues: number[]): boolean {
  const canary = clean(canaryValues);
  const baseline = clean(baselineValues);
  if (canary.length === 0 || baseline.length === 0) return false; // Nodata
  if (canary.concat(baseline).every((v) => v === canary[0])) return false;
  const m = canary.length;
  const n = baseline.length;
  const differences = new Float64Array(m * n);
  let i = 0;
  for (const c of canary) for (const b of baseline) differences[i++] = c - b;
  differences.sort();
  const total = m * n;
  const k = Math.max(0, Math.floor(total / 2 - Z_98 * Math.sqrt((m * n * (m + n + 1)) / 12)));
  const lower = differences[Math.min(k, total - 1)];
  const estimate =
    total % 2 === 1 ? differences[(total - 1) / 2] : (differences[total / 2 - 1] + differences[total / 2]) / 2;
  return lower > 0.25 * Math.abs(estimate);
}
