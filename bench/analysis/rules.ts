// The rules compared side by side, each as its documented default would run
// on the same looks. A rule answers every 10-second look with "continue",
// "rollback" or "promote"; it may act only on the looks its cadence allows.
//  - grayctl: the anytime-valid rule (src/analysis/sequential*.ts), every look.
//  - grayctl-fisher: today's per-step rule (decision.ts, decision-latency.ts),
//    once per 1-minute step on that step's window; inconclusive is not a failure here.
//  - flagger: a check per `interval: 1m` — 5xx share > 1 % or p99 > 500 ms (or no
//    canary data) is a failed check; the weight holds on a failed check and
//    `threshold: 5` failed checks roll back, 5 passed checks promote.
//  - argo: an AnalysisTemplate measuring every 1m (error rate ≤ 1 %, p99 ≤ 500 ms),
//    `failureLimit: 3` (the 4th failed measurement of a metric aborts); steps advance on time.
//  - kayenta: every 1m, the NetflixACAJudge's classifier on the 10 s series since
//    the start (kayenta.ts); a metric classified High drops the score below marginal.
import { decideErrorRate } from "../../src/analysis/decision.ts";
import { decideLatency } from "../../src/analysis/decision-latency.ts";
import { type Bucket, histogramQuantile } from "../../src/analysis/histogram.ts";
import { SequentialCountsTest } from "../../src/analysis/sequential.ts";
import { SequentialLatencyTest } from "../../src/analysis/sequential-latency.ts";
import { kayentaHigh } from "./kayenta.ts";
import { LOOK_SECONDS, type Look, STEP_SECONDS, STEPS, type TrackLook } from "./traffic.ts";

export type Action = "continue" | "rollback" | "promote";
export interface Rule {
  name: string;
  start(): (look: Look, index: number) => Action;
}

export const ERROR_MAX = 0.01;
export const LATENCY_MAX = 0.5;
const LOOKS_PER_STEP = STEP_SECONDS / LOOK_SECONDS;
const LAST_LOOK = STEPS * LOOKS_PER_STEP - 1;

export function grayctlRule(options: ConstructorParameters<typeof SequentialCountsTest>[0] = {}): Rule {
  return {
    name: "grayctl",
    start() {
      const errors = new SequentialCountsTest({ ...options, max: ERROR_MAX });
      const latency = new SequentialLatencyTest({ ...options, max: LATENCY_MAX });
      return (look, index) => {
        const e = errors.look({
          canaryRequests: look.canary.requests,
          canaryEvents: look.canary.errors,
          stableRequests: look.stable.requests,
          stableEvents: look.stable.errors,
        });
        if (e.result === "failed") return "rollback";
        if (latency.look(look.canary.buckets, look.stable.buckets).result === "failed") return "rollback";
        return index >= LAST_LOOK ? "promote" : "continue";
      };
    },
  };
}

/** Sums a window's looks per track. */
class Window {
  requests = 0;
  errors = 0;
  buckets: Bucket[] = [];
  add(track: TrackLook) {
    this.requests += track.requests;
    this.errors += track.errors;
    if (this.buckets.length === 0) this.buckets = track.buckets.map((b) => ({ ...b }));
    else for (const [i, b] of track.buckets.entries()) this.buckets[i].count += b.count;
  }
  p99() {
    const q = histogramQuantile(0.99, this.buckets);
    return Number.isNaN(q) ? null : q;
  }
}

/** Calls `judge` with each 1-minute window's sums at the window's last look. */
function perMinute(judge: (canary: Window, stable: Window, minute: number) => Action) {
  let canary = new Window();
  let stable = new Window();
  return (look: Look, index: number): Action => {
    canary.add(look.canary);
    stable.add(look.stable);
    if ((index + 1) % LOOKS_PER_STEP !== 0) return "continue";
    const action = judge(canary, stable, (index + 1) / LOOKS_PER_STEP);
    canary = new Window();
    stable = new Window();
    return action;
  };
}

export const fisherRule: Rule = {
  name: "grayctl-fisher",
  start: () =>
    perMinute((canary, stable, minute) => {
      const minRequests = 50;
      const input = { canary: { ...canary }, stable: { ...stable } };
      if (decideErrorRate("e", input, { max: ERROR_MAX, minRequests }).result === "failed") return "rollback";
      const latency = decideLatency(
        "l",
        {
          canary: { p99: canary.p99(), count: canary.requests },
          stable: { p99: stable.p99(), count: stable.requests },
        },
        { max: LATENCY_MAX, minSamples: minRequests },
      );
      if (latency.result === "failed") return "rollback";
      return minute >= STEPS ? "promote" : "continue";
    }),
};

const checkFails = (canary: Window) =>
  canary.requests === 0 || canary.errors / canary.requests > ERROR_MAX || (canary.p99() ?? 0) > LATENCY_MAX;

export const flaggerRule: Rule = {
  name: "flagger",
  start() {
    let failed = 0;
    let passed = 0;
    return perMinute((canary) => {
      if (checkFails(canary)) failed++;
      else passed++;
      if (failed >= 5) return "rollback";
      return passed >= STEPS ? "promote" : "continue";
    });
  },
};

export const argoRule: Rule = {
  name: "argo",
  start() {
    let errorFailures = 0;
    let latencyFailures = 0;
    return perMinute((canary, _stable, minute) => {
      // No canary request: the query errors, which counts toward consecutiveErrorLimit (4), not failureLimit.
      if (canary.requests > 0 && canary.errors / canary.requests > ERROR_MAX) errorFailures++;
      const p99 = canary.p99();
      if (p99 !== null && p99 > LATENCY_MAX) latencyFailures++;
      if (errorFailures > 3 || latencyFailures > 3) return "rollback";
      return minute >= STEPS ? "promote" : "continue";
    });
  },
};

export const kayentaRule: Rule = {
  name: "kayenta",
  start() {
    const series = {
      canaryErrors: [] as number[],
      stableErrors: [] as number[],
      canaryP99: [] as number[],
      stableP99: [] as number[],
    };
    const rate = (t: TrackLook) => (t.requests > 0 ? t.errors / t.requests : Number.NaN);
    return (look, index) => {
      series.canaryErrors.push(rate(look.canary));
      series.stableErrors.push(rate(look.stable));
      series.canaryP99.push(histogramQuantile(0.99, look.canary.buckets));
      series.stableP99.push(histogramQuantile(0.99, look.stable.buckets));
      if ((index + 1) % LOOKS_PER_STEP !== 0) return "continue";
      if (kayentaHigh(series.canaryErrors, series.stableErrors) || kayentaHigh(series.canaryP99, series.stableP99))
        return "rollback";
      return index >= LAST_LOOK ? "promote" : "continue";
    };
  },
};

export const rules: Rule[] = [grayctlRule(), fisherRule, flaggerRule, argoRule, kayentaRule];
