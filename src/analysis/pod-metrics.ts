// The pods provider's data: every canary and stable pod's /metrics scraped at
// the window's start and end (through the injected scrapePod — the engine goes
// through the API server's pod proxy), turned into per-track deltas.
//
// Counter semantics follow Prometheus' increase(): a counter that went down
// means the process restarted, and the new value is the delta. A restart
// resets every counter of the process at once, so when any series of a pod
// went down the whole pod counts from zero (per-series detection would miss a
// counter that had already climbed back above its old value). A pod that
// appears only at the end counts from zero; a pod gone by the end is ignored.

import { type Bucket, histogramQuantile } from "./histogram.ts";
import { parseMetricsText, parseNumber, type Sample, seriesKey } from "./metrics-text.ts";
import { emptyTally, type RequestTally, STATUS_LABELS, tallyRequests } from "./status-label.ts";
import type { GateContext, PodRef } from "./types.ts";
import { mapLimited } from "../util/map-limited.ts";

export type ScrapePod = (pod: PodRef, signal?: AbortSignal) => Promise<string>;

export interface PodSnapshot {
  pod: PodRef;
  series: Map<string, Sample>;
}

export interface Snapshot {
  pods: Map<string, PodSnapshot>;
  failures: Map<string, string>;
}

export interface TrackWindow {
  requests: number;
  errors: number;
  /** Which status labels told errors apart, and the requests no status label could classify. */
  status: RequestTally;
  /** Latency observations and the summed bucket deltas. */
  observations: number;
  buckets: Bucket[];
  p99: number;
  pods: number;
  restartedPods: string[];
}

export interface MetricNames {
  requests: string;
  duration: string;
  /** The labels that may hold the HTTP status, tried in order (status-label.ts). */
  statusLabels: readonly string[];
}

export const defaultMetricNames: MetricNames = {
  requests: "http_requests_total",
  duration: "http_request_duration_seconds",
  statusLabels: STATUS_LABELS,
};

const podKey = (pod: PodRef) => `${pod.namespace}/${pod.name}`;

export async function scrapeAll(
  pods: PodRef[],
  scrapePod: ScrapePod,
  options: { timeoutMs: number; concurrency: number; signal?: AbortSignal },
): Promise<Snapshot> {
  const snapshot: Snapshot = { pods: new Map(), failures: new Map() };
  await mapLimited(pods, options.concurrency, async (pod) => {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      const parsed = parseMetricsText(await scrapePod(pod, signal));
      if (!parsed.ok) {
        snapshot.failures.set(podKey(pod), `unparseable /metrics at line ${parsed.line}: ${parsed.why}`);
        return;
      }
      const series = new Map(parsed.samples.map((sample) => [seriesKey(sample.name, sample.labels), sample]));
      snapshot.pods.set(podKey(pod), { pod, series });
    } catch (error) {
      const why = timeout.aborted ? `no answer within ${options.timeoutMs} ms` : (error as Error).message;
      snapshot.failures.set(podKey(pod), `scrape failed: ${why}`);
    }
  });
  return snapshot;
}

/** Per-series increase over the window for one pod, restart-aware. */
function podIncrease(start: PodSnapshot | undefined, end: PodSnapshot): { deltas: Sample[]; restarted: boolean } {
  const restarted =
    start !== undefined &&
    [...end.series].some(([key, sample]) => {
      const before = start.series.get(key);
      return before !== undefined && sample.value < before.value;
    });
  const deltas = [...end.series].map(([key, sample]) => {
    const before = restarted ? 0 : (start?.series.get(key)?.value ?? 0);
    return { ...sample, value: sample.value - before };
  });
  return { deltas, restarted };
}

export function trackWindow(
  start: Snapshot,
  end: Snapshot,
  pods: PodRef[],
  names: MetricNames = defaultMetricNames,
): TrackWindow {
  const window: TrackWindow = {
    requests: 0,
    errors: 0,
    status: emptyTally(),
    observations: 0,
    buckets: [],
    p99: Number.NaN,
    pods: 0,
    restartedPods: [],
  };
  const bucketTotals = new Map<number, number>();
  for (const pod of pods) {
    const ending = end.pods.get(podKey(pod));
    if (!ending) continue;
    window.pods++;
    const { deltas, restarted } = podIncrease(start.pods.get(podKey(pod)), ending);
    if (restarted) window.restartedPods.push(pod.name);
    for (const sample of deltas) {
      if (sample.name === names.requests) {
        tallyRequests(window.status, [sample], names.statusLabels);
      } else if (sample.name === `${names.duration}_count`) {
        window.observations += sample.value;
      } else if (sample.name === `${names.duration}_bucket`) {
        const le = parseNumber(sample.labels.le ?? "");
        if (!Number.isNaN(le)) bucketTotals.set(le, (bucketTotals.get(le) ?? 0) + sample.value);
      }
    }
  }
  window.requests = window.status.requests;
  window.errors = window.status.errors;
  window.buckets = [...bucketTotals].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  window.p99 = histogramQuantile(0.99, window.buckets);
  return window;
}

/** The pods whose scrapes failed, among those that matter for this window. */
export function failedPods(start: Snapshot, end: Snapshot, ctx: GateContext): string[] {
  const reasons: string[] = [];
  for (const pod of [...ctx.canaryPods, ...ctx.stablePods]) {
    const key = podKey(pod);
    const atEnd = end.failures.get(key);
    if (atEnd) reasons.push(`pod ${pod.name} (${pod.track}): ${atEnd}`);
    const atStart = start.failures.get(key);
    if (atStart && end.pods.has(key)) reasons.push(`pod ${pod.name} (${pod.track}) at window start: ${atStart}`);
  }
  return reasons;
}
