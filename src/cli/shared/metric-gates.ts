// Metric gates from analysis.metrics (none when the section is absent). The
// pods provider scrapes /metrics through the API server's pod proxy.
import type { PodRef, Gate } from "../../analysis/types.ts";
import type { MetricsSettings } from "../../analysis/settings.ts";
import { parseDuration } from "../../config/duration.ts";
import type { Config } from "../../config/schema.ts";
import type { Cluster } from "../../kube/cluster.ts";
import type { Clock } from "../../kube/clock.ts";
import { durationsOf } from "../../rollout/plan.ts";

export function metricsSettings(config: Config): MetricsSettings | undefined {
  const metrics = config.analysis.metrics;
  if (!metrics) return undefined;
  const prometheus = metrics.prometheus;
  return {
    provider: metrics.provider,
    prometheus: prometheus && {
      url: prometheus.url,
      headers: prometheus.headers,
      bearerToken: prometheus.bearerToken,
      username: prometheus.username,
      password: prometheus.password,
      timeoutMs: parseDuration(prometheus.timeout) ?? 5_000,
      labels: prometheus.labels,
    },
    statusLabel: metrics.statusLabel,
    minRequests: metrics.minRequests,
    checks: metrics.checks,
    intervalMs: durationsOf(config).intervalMs,
  };
}

export async function metricGates(
  config: Config,
  cluster: Cluster,
  clock: Clock,
  env: Record<string, string | undefined>,
): Promise<Gate[]> {
  const settings = metricsSettings(config);
  if (!settings) return [];
  const [{ createMetricGates }, { proxiedFetch }] = await Promise.all([
    import("../../analysis/metric-gates.ts"),
    import("../../run/proxied-fetch.ts"),
  ]);
  // Prometheus through HTTPS_PROXY/HTTP_PROXY unless NO_PROXY says otherwise, as kubectl and curl would.
  return createMetricGates(settings, { clock, scrapePod: podScraper(cluster), fetch: proxiedFetch(env) });
}

/** The pods provider's scrape: a pod's /metrics through the API server's pod proxy. */
export function podScraper(cluster: Cluster): (pod: PodRef) => Promise<string> {
  return async (pod) => {
    const answer = await cluster.podProxyGet(pod.name, pod.port, "/metrics", 5_000);
    if (answer.status !== 200)
      throw new Error(`GET /metrics of pod ${pod.name} answered ${answer.status || answer.body}`);
    return answer.body;
  };
}
