// The bake's metric ceilings (issue 22, decision 049), judged over the looks
// of one target's bake: after promotion there is no canary to compare with,
// so only the checks' absolute bounds (`max`, `min`) are judged, on the stable
// track that now runs the new release. Pure: fed each look's counts.
//
// error-rate and latency-p99 use the canary's own ceiling test (sequential.ts:
// the e-process of "rate ≤ max", failing at e ≥ 2/α), so a bake of many looks
// keeps the canary's false-failure rate, and a few unlucky errors early in
// the bake fail nothing. A check is judged only once the bake has seen
// `minRequests` requests; fewer by the bake's end is said, not failed. Custom
// checks compare their query's value with min/max at each look, as the canary's do.
import { eText } from "../output/sparkline.ts";
import { CeilingEProcess } from "./e-process.ts";
import { percent, seconds } from "./format.ts";
import { kindOf } from "./gate-common.ts";
import { type Bucket, histogramQuantile } from "./histogram.ts";
import { sequentialDefaults } from "./sequential.ts";
import { countAbove, observations } from "./sequential-latency.ts";
import type { MetricCheck } from "./settings.ts";

/** What a look read for one check, since the previous look; `why` when it read nothing usable. */
export type BakeReading =
  | { requests: number; errors: number }
  | { buckets: Bucket[] }
  | { value: number }
  | { why: string };

export interface BakeVerdict {
  check: string;
  /** too-little-data passes the bake: said, not failed. */
  result: "passed" | "failed" | "too-little-data";
  text: string;
}

/** latency-p99's ceiling: more than 1 % of requests slower than max (sequential-latency.ts). */
const SLOW_SHARE = 0.01;
const AFTER = "on stable after promotion";

/** Checks with a bound the bake can judge: error-rate/latency-p99 with `max`, custom checks with `min` or `max`. */
export function bakeable(check: MetricCheck): boolean {
  return kindOf(check) === "custom" ? check.min !== undefined || check.max !== undefined : check.max !== undefined;
}

export class BakeJudge {
  readonly check: MetricCheck;
  private readonly minRequests: number;
  private readonly threshold: number;
  private readonly ceiling: CeilingEProcess | null;
  private readonly totals = { requests: 0, events: 0, looks: 0 };
  private buckets = new Map<number, number>();
  private lastWhy: string | undefined;
  private failed: BakeVerdict | undefined;

  constructor(check: MetricCheck, minRequests: number) {
    this.check = check;
    this.minRequests = minRequests;
    this.threshold = 2 / (check.alpha ?? sequentialDefaults.alpha);
    const kind = kindOf(check);
    const bound = kind === "error-rate" ? check.max : kind === "latency-p99" ? SLOW_SHARE : undefined;
    this.ceiling =
      bound !== undefined && bound > 0 && bound < 1
        ? new CeilingEProcess(bound, sequentialDefaults.ceilingPrior)
        : null;
  }

  /** A look's reading: the failure once a bound is crossed (it stays failed), else undefined. */
  look(reading: BakeReading): BakeVerdict | undefined {
    if (this.failed) return this.failed;
    if ("why" in reading) {
      this.lastWhy = reading.why;
      return undefined;
    }
    this.totals.looks += 1;
    if ("value" in reading) return this.judgeValue(reading.value);
    const counted = "buckets" in reading ? this.slowCounts(reading.buckets) : reading;
    if (!counted) return undefined;
    this.ceiling?.observe(counted.requests, Math.min(counted.errors, counted.requests));
    this.totals.requests += counted.requests;
    this.totals.events += Math.min(counted.errors, counted.requests);
    if (this.totals.requests < this.minRequests) return undefined;
    const crossed = this.ceiling
      ? this.ceiling.logEValue() >= Math.log(this.threshold)
      : this.check.max !== undefined && this.totals.events / this.totals.requests > this.check.max;
    if (crossed) this.failed = { check: this.check.name, result: "failed", text: this.describe(true) };
    return this.failed;
  }

  /** The verdict at the bake's end. */
  final(): BakeVerdict {
    if (this.failed) return this.failed;
    const name = this.check.name;
    const reason = this.lastWhy ? ` (last look: ${this.lastWhy})` : "";
    if (kindOf(this.check) === "custom") {
      if (this.totals.looks === 0)
        return { check: name, result: "too-little-data", text: `${name}: no value during the bake${reason}` };
      return { check: name, result: "passed", text: `${name} within its bounds on stable at every look of the bake` };
    }
    if (this.totals.requests < this.minRequests) {
      const text = `${name}: stable served ${this.totals.requests} requests during the bake, fewer than minRequests ${this.minRequests}: not judged${reason}`;
      return { check: name, result: "too-little-data", text };
    }
    return { check: name, result: "passed", text: this.describe(false) };
  }

  /** latency-p99 as counts: requests, and those slower than max. */
  private slowCounts(buckets: Bucket[]): { requests: number; errors: number } | undefined {
    const requests = observations(buckets);
    const slow = countAbove(buckets, this.check.max!);
    if (requests === null || slow === null) {
      this.lastWhy = "no +Inf bucket in the latency histogram";
      return undefined;
    }
    for (const bucket of buckets) this.buckets.set(bucket.le, (this.buckets.get(bucket.le) ?? 0) + bucket.count);
    return { requests, errors: slow };
  }

  private judgeValue(value: number): BakeVerdict | undefined {
    const { name, min, max } = this.check;
    const out =
      max !== undefined && value > max ? `> max ${max}` : min !== undefined && value < min ? `< min ${min}` : "";
    if (out)
      this.failed = { check: name, result: "failed", text: `${name} ${Number(value.toPrecision(4))} ${out} ${AFTER}` };
    return this.failed;
  }

  /**
   * Failed: "error-rate 23.0% (46/200) > max 1.0% on stable after promotion (above-max e-value 3.1e+4 ≥ 200)".
   * Passed: "error-rate 0.4% (1/230) on stable during the bake, max 1.0% (above-max e-value 0.2 < 200)".
   */
  private describe(failed: boolean): string {
    const { requests, events } = this.totals;
    const e = this.ceiling ? Math.exp(this.ceiling.logEValue()) : undefined;
    const evidence = e === undefined ? "" : ` (above-max e-value ${eText(e)} ${failed ? "≥" : "<"} ${this.threshold})`;
    const max = this.check.max!;
    if (kindOf(this.check) === "latency-p99") {
      const p99 = histogramQuantile(
        0.99,
        [...this.buckets].map(([le, count]) => ({ le, count })),
      );
      const slow = `${events}/${requests} requests slower than max${evidence}`;
      return failed
        ? `latency-p99 ${seconds(p99)} > max ${seconds(max)} ${AFTER}: ${slow}`
        : `latency-p99 ${seconds(p99)} on stable during the bake, max ${seconds(max)}: ${slow}`;
    }
    const rate = `${this.check.name} ${percent(events / requests)} (${events}/${requests})`;
    return failed
      ? `${rate} > max ${percent(max)} ${AFTER}${evidence}`
      : `${rate} on stable during the bake, max ${percent(max)}${evidence}`;
  }
}
