// Metric gates backed by Prometheus: each look runs instant queries at its
// time over the interval since the gate's previous look (increase()), per
// track, and feeds the counts to the gate's sequential judge (continuous.ts).
// Custom checks judge the whole window at its end. Empty vectors, NaN and
// query failures are inconclusive with the reason — never a pass.

import { errorRateJudge, latencyJudge } from "./continuous.ts";
import { decideThreshold } from "./decision-latency.ts";
import { inconclusive, kindOf, STATISTIC, windowMs } from "./gate-common.ts";
import type { Bucket } from "./histogram.ts";
import { parseNumber } from "./metrics-text.ts";
import type { PrometheusClient, PromSample } from "./prometheus.ts";
import { builtinQueries, renderQuery } from "./promql.ts";
import type { MetricCheck, MetricsSettings } from "./settings.ts";
import {
  emptyTally,
  labelsUsed,
  type RequestTally,
  tallyRequests,
  unlabelledReason,
  withLabel,
} from "./status-label.ts";
import type { Gate, GateContext, GateResult, GateSource } from "./types.ts";

type Track = "canary" | "stable";
type Fetched<T> = { ok: true; value: T } | { ok: false; why: string };

export function createPrometheusGates(settings: MetricsSettings, client: PrometheusClient): Gate[] {
  const queries = builtinQueries(settings.prometheus?.labels, settings.statusLabel);
  const windowKey = (ctx: GateContext) => `${ctx.namespace}/${ctx.app}/${ctx.step}/${ctx.windowStart.getTime()}`;
  /** Per check and window: the time its counts were last taken up to. */
  const consumed = new Map<string, { window: string; until: number }>();

  /** The look's interval: since this check's previous look in the window, or the window's start. */
  function since(check: MetricCheck, ctx: GateContext): GateContext {
    const previous = consumed.get(check.name);
    const from = previous?.window === windowKey(ctx) ? previous.until : ctx.windowStart.getTime();
    return { ...ctx, windowStart: new Date(Math.min(from, ctx.windowEnd.getTime() - 1000)) };
  }
  /** The counts up to this look are taken; the next look starts here. */
  function taken(check: MetricCheck, ctx: GateContext): void {
    consumed.set(check.name, { window: windowKey(ctx), until: ctx.windowEnd.getTime() });
  }

  function render(template: string, ctx: GateContext, track: Track) {
    const pods = (track === "canary" ? ctx.canaryPods : ctx.stablePods).map((pod) => pod.name);
    const vars = {
      app: ctx.app,
      namespace: ctx.namespace,
      track,
      pods,
      intervalMs: settings.intervalMs,
      windowMs: windowMs(ctx),
    };
    return renderQuery(template, vars);
  }

  /** The canary's query as sent (stable's differs only in its track), for the decision record. */
  function source(check: MetricCheck, ctx: GateContext): GateSource {
    const kind = kindOf(check);
    const template =
      kind === "error-rate" ? queries.requestsByStatus : kind === "latency-p99" ? queries.latencyBuckets : check.query;
    const rendered = template ? render(template, ctx, "canary") : undefined;
    const query = rendered?.ok ? rendered.query : template;
    return { kind: "prometheus", query, statistic: STATISTIC[kind] };
  }

  async function run(template: string, ctx: GateContext, track: Track): Promise<Fetched<PromSample[]>> {
    const rendered = render(template, ctx, track);
    if (!rendered.ok) return rendered;
    const result = await client.query(rendered.query, ctx.windowEnd, ctx.signal);
    return result.ok ? { ok: true, value: result.samples } : result;
  }

  /** Requests and 5xx by status label; null when the track has no series at all. */
  async function counts(ctx: GateContext, track: Track): Promise<Fetched<RequestTally | null>> {
    const result = await run(queries.requestsByStatus, ctx, track);
    if (!result.ok) return result;
    if (result.value.length === 0) return { ok: true, value: null };
    return { ok: true, value: tallyRequests(emptyTally(), result.value, queries.statusLabels) };
  }

  /** The interval's latency bucket counts; null when the track has no series. */
  async function buckets(ctx: GateContext, track: Track): Promise<Fetched<Bucket[] | null>> {
    const result = await run(queries.latencyBuckets, ctx, track);
    if (!result.ok) return result;
    if (result.value.length === 0) return { ok: true, value: null };
    const found = result.value
      .map((sample) => ({ le: parseNumber(sample.labels.le ?? ""), count: sample.value }))
      .filter((bucket) => !Number.isNaN(bucket.le));
    return { ok: true, value: found.sort((a, b) => a.le - b.le) };
  }

  const judges = new Map(
    settings.checks.map((check) => {
      const options = {
        minRequests: settings.minRequests,
        max: check.max,
        slowerThan: check.slowerThan,
        alpha: check.alpha,
      };
      return [
        check.name,
        { errorRate: errorRateJudge(check.name, options), latency: latencyJudge(check.name, options) },
      ];
    }),
  );
  const missing = (canary: unknown, stable: unknown, ctx: GateContext) =>
    ctx.final === false && (canary === null || (stable === null && ctx.stablePods.length > 0));
  const noData = (gate: string, look: GateContext) =>
    inconclusive(gate, `no samples in the ${windowMs(look) / 1000}s since the previous look yet; counted at the next`);

  async function errorRate(
    check: MetricCheck,
    ctx: GateContext,
  ): Promise<{ result: GateResult; statusLabel?: string }> {
    const gate = check.name;
    const look = since(check, ctx);
    const [canary, stable] = await Promise.all([counts(look, "canary"), counts(look, "stable")]);
    if (!canary.ok) return { result: inconclusive(gate, `canary: ${canary.why}`) };
    if (!stable.ok) return { result: inconclusive(gate, `stable: ${stable.why}`) };
    // A track with pods and no series yet (a range shorter than two scrapes, or its newest scrape not yet
    // ingested): these counts wait for the next look's longer range rather than judging one track alone.
    if (missing(canary.value, stable.value, ctx)) return { result: noData(gate, look) };
    taken(check, ctx);
    if (canary.value === null) return { result: inconclusive(gate, "no canary data") };
    const tallies = { canary: canary.value, stable: stable.value ?? emptyTally() };
    const unlabelled = unlabelledReason(tallies, "http_requests_total", settings.statusLabel);
    if (unlabelled) return { result: inconclusive(gate, unlabelled) };
    const statusLabel = labelsUsed(tallies.canary, tallies.stable);
    const batch = {
      canaryRequests: tallies.canary.requests,
      canaryEvents: tallies.canary.errors,
      stableRequests: tallies.stable.requests,
      stableEvents: tallies.stable.errors,
    };
    return { result: withLabel(judges.get(gate)!.errorRate(ctx, batch), statusLabel), statusLabel };
  }

  async function latencyOrCustom(check: MetricCheck, ctx: GateContext): Promise<GateResult> {
    const gate = check.name;
    const kind = kindOf(check);
    if (kind === "latency-p99") {
      const look = since(check, ctx);
      const [canary, stable] = await Promise.all([buckets(look, "canary"), buckets(look, "stable")]);
      if (!canary.ok) return inconclusive(gate, `canary: ${canary.why}`);
      if (!stable.ok) return inconclusive(gate, `stable: ${stable.why}`);
      if (missing(canary.value, stable.value, ctx)) return noData(gate, look);
      taken(check, ctx);
      if (canary.value === null) return inconclusive(gate, "no canary latency histogram");
      const stableBuckets = stable.value ?? [{ le: Number.POSITIVE_INFINITY, count: 0 }];
      return judges.get(gate)!.latency(ctx, canary.value, stableBuckets);
    }
    if (!check.query) return inconclusive(gate, "a custom check needs a query");
    const result = await run(check.query, ctx, "canary");
    if (!result.ok) return inconclusive(gate, result.why);
    if (result.value.length > 1)
      return inconclusive(gate, `query returned ${result.value.length} series; expected one`);
    return decideThreshold(gate, result.value[0]?.value ?? null, { min: check.min, max: check.max });
  }

  return settings.checks.map((check) => ({
    name: check.name,
    // Custom checks judge a single value over the window: at its end only.
    continuous: kindOf(check) !== "custom",
    evaluate: async (ctx: GateContext) => {
      // The record shows the query as this look ran it: over the interval since the previous look (taken before it moves).
      const shown = kindOf(check) === "custom" ? ctx : since(check, ctx);
      if (kindOf(check) !== "error-rate") {
        const result = await latencyOrCustom(check, ctx);
        return { ...result, source: source(check, shown) };
      }
      const { result, statusLabel } = await errorRate(check, ctx);
      return { ...result, source: statusLabel ? { ...source(check, shown), statusLabel } : source(check, shown) };
    },
  }));
}
