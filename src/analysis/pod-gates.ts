// Metric gates backed by the pods' own /metrics: all gates from one factory
// share the scrapes (one at the window's start, one at its end), so two checks
// do not double the load on the API server's pod proxy.

import { decideErrorRate } from "./decision.ts";
import { decideLatency } from "./decision-latency.ts";
import { inconclusive, kindOf, STATISTIC, stableMemory } from "./gate-common.ts";
import {
  defaultMetricNames,
  failedPods,
  type ScrapePod,
  type Snapshot,
  scrapeAll,
  type TrackWindow,
  trackWindow,
} from "./pod-metrics.ts";
import type { MetricCheck, MetricsSettings } from "./settings.ts";
import { labelsUsed, statusCandidates, unlabelledReason, withLabel } from "./status-label.ts";
import type { Gate, GateContext, GateResult } from "./types.ts";

type Window = { ok: true; canary: TrackWindow; stable: TrackWindow } | { ok: false; why: string };

export function createPodGates(settings: MetricsSettings, scrapePod: ScrapePod): Gate[] {
  const options = { timeoutMs: settings.pods?.timeoutMs ?? 5000, concurrency: settings.pods?.concurrency ?? 8 };
  const snapshots = new Map<string, Promise<Snapshot>>();
  const memory = stableMemory(settings);
  const names = { ...defaultMetricNames, statusLabels: statusCandidates(settings.statusLabel) };
  const windowKey = (ctx: GateContext) => `${ctx.namespace}/${ctx.app}/${ctx.step}/${ctx.windowStart.getTime()}`;

  function snapshot(key: string, ctx: GateContext): Promise<Snapshot> {
    let pending = snapshots.get(key);
    if (!pending) {
      pending = scrapeAll([...ctx.canaryPods, ...ctx.stablePods], scrapePod, { ...options, signal: ctx.signal });
      snapshots.set(key, pending);
      // Keep the last few windows only: a rollout runs one window at a time.
      while (snapshots.size > 8) snapshots.delete(snapshots.keys().next().value!);
    }
    return pending;
  }

  async function window(ctx: GateContext): Promise<Window> {
    const start = snapshots.get(`${windowKey(ctx)}#begin`);
    if (!start) return { ok: false, why: "no scrape at the window's start (begin() was not called)" };
    const [before, after] = await Promise.all([
      start,
      snapshot(`${windowKey(ctx)}#end@${ctx.windowEnd.getTime()}`, ctx),
    ]);
    const failures = failedPods(before, after, ctx);
    if (failures.length) return { ok: false, why: failures.join("; ") };
    return {
      ok: true,
      canary: trackWindow(before, after, ctx.canaryPods, names),
      stable: trackWindow(before, after, ctx.stablePods, names),
    };
  }

  /** The verdict, and for error-rate the status label(s) that told errors apart (for the record). */
  async function evaluate(check: MetricCheck, ctx: GateContext): Promise<{ result: GateResult; statusLabel?: string }> {
    const gate = check.name;
    const kind = kindOf(check);
    if (kind === "custom") return { result: inconclusive(gate, "custom queries need the prometheus provider") };
    const data = await window(ctx);
    if (!data.ok) return { result: inconclusive(gate, data.why) };
    const { canary, stable } = data;
    const extra = {
      canaryPods: canary.pods,
      stablePods: stable.pods,
      restartedPods: canary.restartedPods.length + stable.restartedPods.length,
    };
    let result: GateResult;
    let statusLabel: string | undefined;
    if (kind === "error-rate") {
      const unlabelled = unlabelledReason(
        { canary: canary.status, stable: stable.status },
        names.requests,
        settings.statusLabel,
      );
      if (unlabelled) return { result: { ...inconclusive(gate, unlabelled), values: extra } };
      statusLabel = labelsUsed(canary.status, stable.status);
      const stableCounts = { requests: stable.requests, errors: stable.errors };
      const stableBaseline = memory.recall(ctx);
      memory.remember(ctx, stableCounts);
      const input = {
        canary: { requests: canary.requests, errors: canary.errors },
        stable: stableCounts,
        stableBaseline,
      };
      result = withLabel(
        decideErrorRate(gate, input, { max: check.max, minRequests: settings.minRequests }),
        statusLabel,
      );
    } else {
      const input = {
        canary: { p99: canary.p99, count: canary.observations },
        stable: { p99: stable.p99, count: stable.observations },
      };
      result = decideLatency(gate, input, { max: check.max, minSamples: settings.minRequests });
    }
    return { result: { ...result, values: { ...result.values, ...extra } }, statusLabel };
  }

  return settings.checks.map((check) => ({
    name: check.name,
    begin: async (ctx: GateContext) => {
      await snapshot(`${windowKey(ctx)}#begin`, ctx);
    },
    evaluate: async (ctx: GateContext) => {
      const { result, statusLabel } = await evaluate(check, ctx);
      const query = `/metrics of ${ctx.canaryPods.length} canary and ${ctx.stablePods.length} stable pods (API server pod proxy), counter deltas over the window`;
      const source = { kind: "pods" as const, query, statistic: STATISTIC[kindOf(check)] };
      return { ...result, source: statusLabel ? { ...source, statusLabel } : source };
    },
  }));
}
