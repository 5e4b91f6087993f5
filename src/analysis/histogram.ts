// p-quantiles from classic histogram buckets, computed the way PromQL's
// histogram_quantile() does, so the pods provider and Prometheus agree.

export interface Bucket {
  /** Upper bound (`le`), +Infinity for the last bucket. */
  le: number;
  /** Cumulative count of observations ≤ le. */
  count: number;
}

/**
 * Linear interpolation within the bucket holding the rank q × total. The
 * lowest bucket starts at 0 (observations are durations); a rank in the +Inf
 * bucket returns the highest finite bound. NaN when there is no +Inf bucket
 * or no observations — callers treat NaN as "no data".
 */
export function histogramQuantile(q: number, input: Bucket[]): number {
  if (!(q >= 0 && q <= 1)) return Number.NaN;
  const buckets = [...input].sort((a, b) => a.le - b.le);
  if (buckets.length < 2 || buckets[buckets.length - 1].le !== Number.POSITIVE_INFINITY) return Number.NaN;
  // Scrapes are not atomic: a later bucket can read lower than an earlier one. Prometheus clamps too.
  for (let i = 1; i < buckets.length; i++) {
    if (buckets[i].count < buckets[i - 1].count) buckets[i] = { ...buckets[i], count: buckets[i - 1].count };
  }
  const total = buckets[buckets.length - 1].count;
  if (!(total > 0)) return Number.NaN;
  const rank = q * total;
  let index = buckets.findIndex((bucket) => bucket.count >= rank);
  if (index < 0) index = buckets.length - 1;
  if (index === buckets.length - 1) return buckets[buckets.length - 2].le;
  if (index === 0 && buckets[0].le <= 0) return buckets[0].le;
  const lower = index === 0 ? 0 : buckets[index - 1].le;
  const below = index === 0 ? 0 : buckets[index - 1].count;
  const inBucket = buckets[index].count - below;
  if (inBucket <= 0) return buckets[index].le;
  return lower + (buckets[index].le - lower) * ((rank - below) / inBucket);
}
