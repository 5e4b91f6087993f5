// The metric gates' judges for continuous evaluation (issue 21): one
// anytime-valid test per check and app (sequential.ts, sequential-latency.ts),
// created with the gates — once per rollout — and fed every look's counts of
// the interval since that gate's previous look. A conclusive failure at any
// look fails the gate; a look inside the window otherwise concludes nothing
// (`interim`); at the window's end the step passes only when the window held
// enough data. A resumed rollout creates new gates, so its tests start afresh
// (decision 045).

import { eText } from "../output/sparkline.ts";
import { count, percent, seconds } from "./format.ts";
import { type Bucket, histogramQuantile } from "./histogram.ts";
import { type CountsBatch, SequentialCountsTest, sequentialDefaults } from "./sequential.ts";
import { countAbove, observations, SequentialLatencyTest } from "./sequential-latency.ts";
import type { GateContext, GateResult, GateValues } from "./types.ts";

const appKey = (ctx: GateContext) => `${ctx.namespace}/${ctx.app}`;
const windowKey = (ctx: GateContext) => `${appKey(ctx)}/${ctx.step}/${ctx.windowStart.getTime()}`;
const rounded = (value: number | null | undefined) => {
  const checked = count(value);
  return checked === null ? null : Math.round(checked);
};
const share = (part: number, whole: number) => (whole > 0 ? part / whole : null);
const describe = (events: number, requests: number) =>
  `${requests > 0 ? percent(events / requests) : "n/a"} (${events}/${requests})`;

/** Requests each track served in the current window, summed over its looks: a step passes only on enough of them. */
function windowTallies() {
  const tallies = new Map<string, { canary: number; stable: number }>();
  return (ctx: GateContext, canary: number, stable: number) => {
    const key = windowKey(ctx);
    const tally = tallies.get(key) ?? { canary: 0, stable: 0 };
    tally.canary += canary;
    tally.stable += stable;
    tallies.set(key, tally);
    // A rollout runs one window at a time: keep the last few only.
    while (tallies.size > 4) tallies.delete(tallies.keys().next().value!);
    return tally;
  };
}

/** A look inside the window that failed nothing: recorded, concluding nothing. */
const interimOrFinal = (ctx: GateContext) => ctx.final === false;

export interface JudgeOptions {
  minRequests: number;
  max?: number;
  /** latency-p99: a configured slow bound (seconds) instead of stable's p99 bucket. */
  slowerThan?: number;
  /** The gate's false-rollback budget over the rollout (sequentialDefaults.alpha when unset). */
  alpha?: number;
}

/** error-rate: the canary's share of each interval's 5xx, and its rate against `max`. */
export function errorRateJudge(gate: string, options: JudgeOptions) {
  const tests = new Map<string, SequentialCountsTest>();
  const tally = windowTallies();
  return (ctx: GateContext, input: CountsBatch): GateResult => {
    const test = tests.get(appKey(ctx)) ?? new SequentialCountsTest({ max: options.max, alpha: options.alpha });
    tests.set(appKey(ctx), test);
    const n = rounded(input.canaryRequests);
    const x = rounded(input.canaryEvents);
    const m = rounded(input.stableRequests);
    const y = rounded(input.stableEvents);
    const look = test.look({
      canaryRequests: n ?? Number.NaN,
      canaryEvents: x ?? 0,
      stableRequests: m ?? 0,
      stableEvents: y ?? 0,
    });
    const values: GateValues = {
      canaryRequests: n,
      canaryErrors: x,
      canaryRate: n !== null && x !== null ? share(x, n) : null,
      stableRequests: m,
      stableErrors: y,
      stableRate: m !== null && y !== null ? share(y, m) : null,
      requestShare: n !== null && m !== null ? share(n, n + m) : null,
      errorShare: x !== null && y !== null ? share(x, x + y) : null,
      eValue: look.comparisonE,
      ceilingEValue: look.ceilingE,
      eThreshold: look.threshold,
      max: options.max ?? null,
      minRequests: options.minRequests,
      alpha: options.alpha ?? sequentialDefaults.alpha,
    };
    if (look.result === "inconclusive") return { gate, result: "inconclusive", why: `${gate}: ${look.why}`, values };
    const windowed = tally(ctx, n ?? 0, m ?? 0);
    const seen = `canary ${describe(look.canaryEvents, look.canaryRequests)} vs stable ${describe(look.stableEvents, look.stableRequests)} over the rollout so far`;
    const evidence = `e-value ${eText(look.comparisonE)}${look.ceilingE !== null ? `, above-max e-value ${eText(look.ceilingE)}` : ""}`;
    if (look.result === "failed") {
      const worse = look.rejected === "worse-than-stable";
      const e = worse ? look.comparisonE : (look.ceilingE ?? 0);
      const what = worse
        ? `canary is worse than stable (beyond the ${sequentialDefaults.margin}× margin)`
        : `canary is above max ${percent(options.max!)}`;
      const thisLook = `${describe(x ?? 0, n ?? 0)} vs ${describe(y ?? 0, m ?? 0)}`;
      const lookNote = look.canaryRequests === n && look.stableRequests === m ? "" : `, this look ${thisLook}`;
      const reason = `${gate}: ${seen}${lookNote}; e-value ${eText(e)} ≥ ${look.threshold}: ${what}`;
      return { gate, result: "failed", reason, values, interim: interimOrFinal(ctx) };
    }
    const head = `${gate}: ${seen}, ${evidence} (fails at ${look.threshold})`;
    if (interimOrFinal(ctx)) return { gate, result: "passed", summary: head, values, interim: true };
    if (windowed.canary < options.minRequests) {
      const why = `${gate}: canary served ${windowed.canary} requests in this window, fewer than the ${options.minRequests} needed to judge`;
      return { gate, result: "inconclusive", why, values };
    }
    if (look.stableRequests < options.minRequests && options.max === undefined) {
      const why = `${head}: stable served too few requests to compare with and no max is configured`;
      return { gate, result: "inconclusive", why, values };
    }
    const note = test.stableAboveMax() ? `, stable is above max ${percent(options.max!)} too` : "";
    return { gate, result: "passed", summary: `${head}${note}`, values };
  };
}

/** latency-p99: the canary's share of requests slower than stable's p99 bucket, and its share above `max`. */
export function latencyJudge(gate: string, options: JudgeOptions) {
  const tests = new Map<string, SequentialLatencyTest>();
  const tally = windowTallies();
  return (ctx: GateContext, canary: Bucket[], stable: Bucket[]): GateResult => {
    const test =
      tests.get(appKey(ctx)) ??
      new SequentialLatencyTest({ max: options.max, slowerThan: options.slowerThan, alpha: options.alpha });
    tests.set(appKey(ctx), test);
    const look = test.look(canary, stable);
    const n = rounded(observations(canary));
    const m = rounded(observations(stable));
    const slow = (buckets: Bucket[]) =>
      look.slowerThan === null ? null : rounded(countAbove(buckets, look.slowerThan));
    const values: GateValues = {
      canaryCount: n,
      canarySlow: slow(canary),
      canaryP99: n ? histogramQuantile(0.99, canary) : null,
      stableCount: m,
      stableSlow: slow(stable),
      stableP99: m ? histogramQuantile(0.99, stable) : null,
      slowerThan: look.slowerThan,
      eValue: look.comparisonE,
      ceilingEValue: look.ceilingE,
      eThreshold: look.threshold,
      max: options.max ?? null,
      minSamples: options.minRequests,
    };
    for (const key of ["canaryP99", "stableP99"]) if (!Number.isFinite(values[key] ?? 0)) values[key] = null;
    if (look.result === "inconclusive") return { gate, result: "inconclusive", why: `${gate}: ${look.why}`, values };
    const windowed = tally(ctx, n ?? 0, m ?? 0);
    const p99 = (value: number | null) => (value === null ? "n/a" : seconds(value));
    const head = `${gate}: canary ${p99(values.canaryP99)} vs stable ${p99(values.stableP99)} over ${n ?? 0} requests this look (p99)`;
    const slower =
      look.slowerThan === null
        ? ""
        : `, ${describe(values.canarySlow ?? 0, n ?? 0)} slower than ${seconds(look.slowerThan)} vs stable ${describe(values.stableSlow ?? 0, m ?? 0)}`;
    if (look.result === "failed") {
      const worse = look.rejected === "slower-than-stable";
      const e = worse ? look.comparisonE : (look.ceilingE ?? 0);
      const over = options.max === undefined ? null : rounded(countAbove(canary, options.max));
      const what = worse
        ? `canary is slower than stable (more than ${sequentialDefaults.margin}× stable's share of slow requests)`
        : `more than 1% of canary requests are slower than max ${seconds(options.max!)} (${over ?? 0}/${n ?? 0} this look)`;
      const reason = `${head}${slower}; e-value ${eText(e)} ≥ ${look.threshold}: ${what}`;
      return { gate, result: "failed", reason, values, interim: interimOrFinal(ctx) };
    }
    const evidence = `e-value ${eText(look.comparisonE)}${look.ceilingE !== null ? `, above-max e-value ${eText(look.ceilingE)}` : ""}`;
    const summary = `${head}${slower}, ${evidence} (fails at ${look.threshold})`;
    if (interimOrFinal(ctx)) return { gate, result: "passed", summary, values, interim: true };
    if (windowed.canary < options.minRequests) {
      const why = `${gate}: canary served ${windowed.canary} requests in this window, fewer than the ${options.minRequests} needed for a p99`;
      return { gate, result: "inconclusive", why, values };
    }
    if (look.slowerThan === null && options.max === undefined) {
      const why = `${summary}: stable served too few requests to compare with and no max is configured`;
      return { gate, result: "inconclusive", why, values };
    }
    return { gate, result: "passed", summary, values };
  };
}
