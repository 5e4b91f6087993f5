// The reads behind a bake's metric ceilings (issue 22, decision 049): each
// look (at most every analysis.evaluateEvery, and the bake's last) takes the
// stable track's counts since the previous look from the
// target's own provider — Prometheus (the built-in queries and custom ones,
// with track "stable"), or the pods' /metrics through the pod proxy (counter
// deltas between scrapes) — and hands them to each check's BakeJudge. The
// first look only starts the counting. Create one per target and bake.
import { type BakeReading, BakeJudge, type BakeVerdict, bakeable } from "./bake-judge.ts";
import { kindOf } from "./gate-common.ts";
import { parseNumber } from "./metrics-text.ts";
import { defaultMetricNames, type ScrapePod, type Snapshot, scrapeAll, trackWindow } from "./pod-metrics.ts";
import { createPrometheusClient, type PrometheusClient } from "./prometheus.ts";
import { builtinQueries, renderQuery } from "./promql.ts";
import type { AnalysisClock, MetricCheck, MetricsSettings } from "./settings.ts";
import { emptyTally, statusCandidates, tallyRequests, unlabelledReason } from "./status-label.ts";
import type { PodRef } from "./types.ts";

export type { BakeVerdict } from "./bake-judge.ts";

/** The promoted target's stable track as this look finds it. */
export interface BakeTrack {
  app: string;
  namespace: string;
  pods: PodRef[];
  signal?: AbortSignal;
}

export interface BakeChecks {
  /** Names of the checks judged (those with a bound). */
  readonly checks: string[];
  /** One look: the first failure, if a bound is crossed; at the last look (`final`) every check's verdict. */
  look(track: BakeTrack, final: boolean): Promise<BakeVerdict[]>;
}

type Reader = (track: BakeTrack, now: number) => Promise<Map<string, BakeReading> | undefined>;

export function createBakeChecks(
  settings: MetricsSettings,
  deps: {
    clock: AnalysisClock;
    fetch?: typeof fetch;
    scrapePod: ScrapePod;
    /** Reads at most this often (analysis.evaluateEvery, as the canary's looks), and at the bake's last look. */
    everyMs: number;
  },
): BakeChecks | undefined {
  const checks = settings.checks.filter(bakeable);
  if (checks.length === 0) return undefined;
  const judges = checks.map((check) => new BakeJudge(check, settings.minRequests));
  const read =
    settings.provider === "pods"
      ? podsReader(settings, checks, deps.scrapePod)
      : settings.prometheus
        ? prometheusReader(settings, checks, createPrometheusClient(settings.prometheus, deps))
        : async () => new Map(checks.map((check) => [check.name, { why: "no prometheus.url is configured" }]));
  let lastRead: number | undefined;
  return {
    checks: checks.map((check) => check.name),
    async look(track, final) {
      const now = deps.clock.now();
      if (!final && lastRead !== undefined && now - lastRead < deps.everyMs) return [];
      lastRead = now;
      const readings = await read(track, now);
      const failed: BakeVerdict[] = [];
      for (const judge of judges) {
        const reading = readings?.get(judge.check.name);
        const verdict = reading && judge.look(reading);
        if (verdict) failed.push(verdict);
      }
      if (failed.length > 0) return failed.slice(0, 1);
      return final ? judges.map((judge) => judge.final()) : [];
    },
  };
}

function podsReader(settings: MetricsSettings, checks: MetricCheck[], scrapePod: ScrapePod): Reader {
  const options = { timeoutMs: settings.pods?.timeoutMs ?? 5000, concurrency: settings.pods?.concurrency ?? 8 };
  const names = { ...defaultMetricNames, statusLabels: statusCandidates(settings.statusLabel) };
  let previous: Snapshot | undefined;
  return async (track) => {
    const now = await scrapeAll(track.pods, scrapePod, { ...options, signal: track.signal });
    const before = previous;
    previous = now;
    if (!before) return undefined;
    const failures = [...now.failures.values()];
    const counted = trackWindow(before, now, track.pods, names);
    const unlabelled = unlabelledReason(
      { canary: emptyTally(), stable: counted.status },
      names.requests,
      settings.statusLabel,
    );
    return new Map(
      checks.map((check): [string, BakeReading] => {
        const kind = kindOf(check);
        if (kind === "custom") return [check.name, { why: "custom queries need the prometheus provider" }];
        if (failures.length > 0) return [check.name, { why: failures.join("; ") }];
        if (kind === "latency-p99") return [check.name, { buckets: counted.buckets }];
        return [check.name, unlabelled ? { why: unlabelled } : { requests: counted.requests, errors: counted.errors }];
      }),
    );
  };
}

function prometheusReader(settings: MetricsSettings, checks: MetricCheck[], client: PrometheusClient): Reader {
  const queries = builtinQueries(settings.prometheus?.labels, settings.statusLabel);
  let started: number | undefined;
  /** Per check: the time its counts were last taken up to (a look that found no series leaves it for the next). */
  const since = new Map<string, number>();
  const query = async (template: string, track: BakeTrack, now: number, from: number) => {
    const rendered = renderQuery(template, {
      app: track.app,
      namespace: track.namespace,
      track: "stable",
      pods: track.pods.map((pod) => pod.name),
      intervalMs: settings.intervalMs,
      windowMs: Math.max(1000, now - from),
    });
    if (!rendered.ok) return rendered;
    return client.query(rendered.query, new Date(now), track.signal);
  };
  async function reading(check: MetricCheck, track: BakeTrack, now: number): Promise<BakeReading> {
    const kind = kindOf(check);
    const from = since.get(check.name) ?? started!;
    if (kind === "custom") {
      // A custom query's {{window}} is the whole bake so far: one value judged against its bounds.
      const answer = await query(check.query ?? "", track, now, started!);
      if (!answer.ok) return { why: answer.why };
      if (answer.samples.length !== 1) return { why: `query returned ${answer.samples.length} series; expected one` };
      const value = answer.samples[0].value;
      return Number.isFinite(value) ? { value } : { why: `query returned ${value}` };
    }
    const answer = await query(
      kind === "error-rate" ? queries.requestsByStatus : queries.latencyBuckets,
      track,
      now,
      from,
    );
    if (!answer.ok) return { why: answer.why };
    if (answer.samples.length === 0)
      return { why: `no stable series since ${Math.round((now - from) / 1000)}s ago yet` };
    since.set(check.name, now);
    if (kind === "latency-p99") {
      const buckets = answer.samples
        .map((sample) => ({ le: parseNumber(sample.labels.le ?? ""), count: sample.value }))
        .filter((bucket) => !Number.isNaN(bucket.le));
      return { buckets };
    }
    const tally = tallyRequests(emptyTally(), answer.samples, queries.statusLabels);
    const unlabelled = unlabelledReason(
      { canary: emptyTally(), stable: tally },
      "http_requests_total",
      settings.statusLabel,
    );
    return unlabelled
      ? { why: unlabelled }
      : { requests: Math.round(tally.requests), errors: Math.round(tally.errors) };
  }
  return async (track, now) => {
    if (started === undefined) {
      started = now;
      return undefined;
    }
    const entries = await Promise.all(
      checks.map(async (check): Promise<[string, BakeReading]> => [check.name, await reading(check, track, now)]),
    );
    return new Map(entries);
  };
}
