// Metric gates backed by Prometheus: each evaluation runs instant queries at
// the window's end over the window's length, per track, and hands the numbers
// to the decision rules. Empty vectors, NaN and query failures are
// inconclusive with the reason — never a pass.

import { decideErrorRate, type TrackCounts } from "./decision.ts";
import { decideLatency, decideThreshold, type LatencySample } from "./decision-latency.ts";
import { inconclusive, kindOf, STATISTIC, stableMemory, windowMs } from "./gate-common.ts";
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
  const memory = stableMemory(settings);

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
      kind === "error-rate" ? queries.requestsByStatus : kind === "latency-p99" ? queries.latencyP99 : check.query;
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

  async function latency(ctx: GateContext, track: Track): Promise<Fetched<LatencySample | null>> {
    const [p99, total] = await Promise.all([
      run(queries.latencyP99, ctx, track),
      run(queries.latencyCount, ctx, track),
    ]);
    if (!p99.ok) return p99;
    if (!total.ok) return total;
    if (total.value.length === 0) return { ok: true, value: null };
    return { ok: true, value: { p99: p99.value[0]?.value ?? null, count: total.value[0].value } };
  }

  async function errorRate(
    check: MetricCheck,
    ctx: GateContext,
  ): Promise<{ result: GateResult; statusLabel?: string }> {
    const gate = check.name;
    const [canary, stable] = await Promise.all([counts(ctx, "canary"), counts(ctx, "stable")]);
    if (!canary.ok) return { result: inconclusive(gate, `canary: ${canary.why}`) };
    if (!stable.ok) return { result: inconclusive(gate, `stable: ${stable.why}`) };
    const tallies = { canary: canary.value ?? emptyTally(), stable: stable.value ?? emptyTally() };
    const unlabelled = unlabelledReason(tallies, "http_requests_total", settings.statusLabel);
    if (unlabelled) return { result: inconclusive(gate, unlabelled) };
    const statusLabel = labelsUsed(tallies.canary, tallies.stable);
    const only = (tally: RequestTally | null): TrackCounts | null =>
      tally && { requests: tally.requests, errors: tally.errors };
    const stableBaseline = memory.recall(ctx);
    memory.remember(ctx, only(stable.value));
    const rule = { max: check.max, minRequests: settings.minRequests };
    const input = { canary: only(canary.value), stable: only(stable.value), stableBaseline };
    return { result: withLabel(decideErrorRate(gate, input, rule), statusLabel), statusLabel };
  }

  async function latencyOrCustom(check: MetricCheck, ctx: GateContext): Promise<GateResult> {
    const gate = check.name;
    const kind = kindOf(check);
    if (kind === "latency-p99") {
      const [canary, stable] = await Promise.all([latency(ctx, "canary"), latency(ctx, "stable")]);
      if (!canary.ok) return inconclusive(gate, `canary: ${canary.why}`);
      if (!stable.ok) return inconclusive(gate, `stable: ${stable.why}`);
      const rule = { max: check.max, minSamples: settings.minRequests };
      return decideLatency(gate, { canary: canary.value, stable: stable.value }, rule);
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
    evaluate: async (ctx: GateContext) => {
      if (kindOf(check) !== "error-rate") return { ...(await latencyOrCustom(check, ctx)), source: source(check, ctx) };
      const { result, statusLabel } = await errorRate(check, ctx);
      return { ...result, source: statusLabel ? { ...source(check, ctx), statusLabel } : source(check, ctx) };
    },
  }));
}
