// The factory the rollout engine calls: one Gate per configured check, backed
// by Prometheus or by the pods' own /metrics. Create the gates once per
// rollout (they remember stable's latest window for the 100 % step).

import { createPodGates } from "./pod-gates.ts";
import type { ScrapePod } from "./pod-metrics.ts";
import { createPrometheusClient } from "./prometheus.ts";
import { createPrometheusGates } from "./prometheus-gates.ts";
import type { AnalysisClock, MetricsSettings } from "./settings.ts";
import type { Gate } from "./types.ts";

export interface MetricGateDeps {
  clock: AnalysisClock;
  fetch?: typeof fetch;
  scrapePod: ScrapePod;
}

export function createMetricGates(settings: MetricsSettings, deps: MetricGateDeps): Gate[] {
  if (settings.provider === "pods") return createPodGates(settings, deps.scrapePod);
  if (!settings.prometheus) {
    // The config layer requires the URL; a gate that cannot run says so on every evaluation.
    return settings.checks.map((check) => ({
      name: check.name,
      evaluate: async () => ({
        gate: check.name,
        result: "inconclusive" as const,
        why: `${check.name}: metrics.provider is prometheus but no prometheus.url is configured`,
      }),
    }));
  }
  const client = createPrometheusClient(settings.prometheus, { fetch: deps.fetch, clock: deps.clock });
  return createPrometheusGates(settings, client);
}

export type { AnalysisClock, MetricCheck, MetricsSettings, PrometheusSettings } from "./settings.ts";
export type { ScrapePod } from "./pod-metrics.ts";
