// Metric gates backed by the pods' own /metrics: all gates from one factory
// share the scrapes (one at the window's start, one at each look), so two
// checks do not double the load on the API server's pod proxy. Each check
// judges the counter deltas since its own previous look (continuous.ts).

import { errorRateJudge, latencyJudge } from "./continuous.ts";
import { inconclusive, kindOf, STATISTIC } from "./gate-common.ts";
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
  const names = { ...defaultMetricNames, statusLabels: statusCandidates(settings.statusLabel) };
  const windowKey = (ctx: GateContext) => `${ctx.namespace}/${ctx.app}/${ctx.step}/${ctx.windowStart.getTime()}`;
  const beginKey = (ctx: GateContext) => `${windowKey(ctx)}#begin`;
  /** Per check: the snapshot its previous look ended on, within the current window. */
  const previousLook = new Map<string, string>();

  function snapshot(key: string, ctx: GateContext): Promise<Snapshot> {
    let pending = snapshots.get(key);
    if (!pending) {
      pending = scrapeAll([...ctx.canaryPods, ...ctx.stablePods], scrapePod, { ...options, signal: ctx.signal });
      snapshots.set(key, pending);
      // Keep the last few looks only: a rollout runs one window at a time.
      while (snapshots.size > 8) snapshots.delete(snapshots.keys().next().value!);
    }
    return pending;
  }

  /** The deltas since this check's previous look in the window (its start for the first look). */
  async function interval(check: MetricCheck, ctx: GateContext): Promise<Window> {
    const previous = previousLook.get(check.name);
    const fromKey = previous?.startsWith(`${windowKey(ctx)}#`) ? previous : beginKey(ctx);
    const start = snapshots.get(fromKey);
    if (!start) return { ok: false, why: "no scrape at the window's start (begin() was not called)" };
    const toKey = `${windowKey(ctx)}#look@${ctx.windowEnd.getTime()}`;
    const [before, after] = await Promise.all([start, snapshot(toKey, ctx)]);
    previousLook.set(check.name, toKey);
    const failures = failedPods(before, after, ctx);
    if (failures.length) return { ok: false, why: failures.join("; ") };
    return {
      ok: true,
      canary: trackWindow(before, after, ctx.canaryPods, names),
      stable: trackWindow(before, after, ctx.stablePods, names),
    };
  }

  function gateFor(check: MetricCheck): Gate {
    const gate = check.name;
    const kind = kindOf(check);
    const judgeOptions = {
      minRequests: settings.minRequests,
      max: check.max,
      slowerThan: check.slowerThan,
      alpha: check.alpha,
    };
    const errorRate = errorRateJudge(gate, judgeOptions);
    const latency = latencyJudge(gate, judgeOptions);

    /** The verdict, and for error-rate the status label(s) that told errors apart (for the record). */
    async function evaluate(ctx: GateContext): Promise<{ result: GateResult; statusLabel?: string }> {
      if (kind === "custom") return { result: inconclusive(gate, "custom queries need the prometheus provider") };
      const data = await interval(check, ctx);
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
        const batch = {
          canaryRequests: canary.requests,
          canaryEvents: canary.errors,
          stableRequests: stable.requests,
          stableEvents: stable.errors,
        };
        result = withLabel(errorRate(ctx, batch), statusLabel);
      } else {
        result = latency(ctx, canary.buckets, stable.buckets);
      }
      return { result: { ...result, values: { ...result.values, ...extra } }, statusLabel };
    }

    return {
      name: gate,
      continuous: true,
      begin: async (ctx: GateContext) => {
        await snapshot(beginKey(ctx), ctx);
      },
      evaluate: async (ctx: GateContext) => {
        const { result, statusLabel } = await evaluate(ctx);
        const query = `/metrics of ${ctx.canaryPods.length} canary and ${ctx.stablePods.length} stable pods (API server pod proxy), counter deltas since the previous look`;
        const source = { kind: "pods" as const, query, statistic: STATISTIC[kind] };
        return { ...result, source: statusLabel ? { ...source, statusLabel } : source };
      },
    };
  }

  return settings.checks.map(gateFor);
}
