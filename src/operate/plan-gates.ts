// The gates a plan shows: what each step checks, with the PromQL of every
// metric check rendered for canary and stable as the first window would send
// it ({{pods}} stays a description: the canary's pods do not exist yet).
import { builtinQueries, renderQuery } from "../analysis/promql.ts";
import type { Config } from "../config/schema.ts";
import { formatDuration } from "../config/duration.ts";
import { durationsOf } from "../rollout/plan.ts";

export interface PlannedGate {
  gate: string;
  rule: string;
  /** Rendered queries per track (Prometheus checks). */
  queries?: { canary: string; stable: string };
}

const PODS = "__grayctl_pods__";

export function plannedGates(config: Config): PlannedGate[] {
  const { intervalMs, healthzTimeoutMs } = durationsOf(config);
  const healthz = config.analysis.healthz;
  const gates: PlannedGate[] = [
    {
      gate: "health",
      rule: `every canary pod ready, GET ${healthz.path} on port ${config.deployment.port} answers 2xx within ${formatDuration(healthzTimeoutMs)}; a restart or CrashLoopBackOff fails at once`,
    },
  ];
  const metrics = config.analysis.metrics;
  if (!metrics) return gates;
  const builtin = builtinQueries();
  for (const check of metrics.checks) {
    const bounds = [check.min !== undefined && `min ${check.min}`, check.max !== undefined && `max ${check.max}`]
      .filter(Boolean)
      .join(", ");
    const rule = `canary compared with stable over each ${formatDuration(intervalMs)} window, ${bounds}; fewer than ${metrics.minRequests} requests is inconclusive`;
    if (metrics.provider === "pods") {
      gates.push({ gate: check.name, rule: `${rule} (from the pods' own /metrics through the pod proxy)` });
      continue;
    }
    const template =
      check.name === "error-rate"
        ? builtin.requestsByCode
        : check.name === "latency-p99"
          ? builtin.latencyP99
          : (check.query ?? "");
    const render = (track: "canary" | "stable") => {
      const rendered = renderQuery(template, {
        app: config.app,
        namespace: config.namespace,
        track,
        pods: [PODS],
        intervalMs,
        windowMs: intervalMs,
      });
      return rendered.ok ? rendered.query.replaceAll(PODS, `<the ${track} pods>`) : `cannot render: ${rendered.why}`;
    };
    gates.push({ gate: check.name, rule, queries: { canary: render("canary"), stable: render("stable") } });
  }
  return gates;
}
