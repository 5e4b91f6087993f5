// The gates a plan shows: what each step checks, with the PromQL of every
// metric check rendered for canary and stable as the first window would send
// it ({{pods}} stays a description: the canary's pods do not exist yet).
import { gateEnvironment, webVariables } from "../analysis/gate-env.ts";
import { builtinQueries, renderQuery } from "../analysis/promql.ts";
import { fillTemplate } from "../analysis/template.ts";
import type { GateContext } from "../analysis/types.ts";
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

export function plannedGates(config: Config, image: string, now: Date): PlannedGate[] {
  const { intervalMs, healthzTimeoutMs, evaluateEveryMs } = durationsOf(config);
  const healthz = config.analysis.healthz;
  const gates: PlannedGate[] = [
    {
      gate: "health",
      rule: `every canary pod ready, GET ${healthz.path} on port ${config.deployment.port} answers 2xx within ${formatDuration(healthzTimeoutMs)}; a restart or CrashLoopBackOff fails at once`,
    },
  ];
  gates.push(...checkGates(config, image, now));
  const metrics = config.analysis.metrics;
  if (!metrics) return gates;
  const builtin = builtinQueries(metrics.prometheus?.labels, metrics.statusLabel);
  for (const check of metrics.checks) {
    const bounds = [check.min !== undefined && `min ${check.min}`, check.max !== undefined && `max ${check.max}`]
      .filter(Boolean)
      .join(", ");
    const counted =
      check.name === "error-rate" && !check.query
        ? metrics.statusLabel
          ? `; 5xx by the label ${metrics.statusLabel}`
          : `; 5xx by the first of ${builtin.statusLabels.join(", ")} a series carries`
        : "";
    const looks =
      check.name === "error-rate" || check.name === "latency-p99"
        ? `at a look every ${formatDuration(evaluateEveryMs)} (a conclusive failure rolls back at once; a pass only at the end of each ${formatDuration(intervalMs)} window)`
        : `over each ${formatDuration(intervalMs)} window`;
    const rule = `canary compared with stable ${looks}, ${bounds}; fewer than ${metrics.minRequests} requests is inconclusive${counted}`;
    if (metrics.provider === "pods") {
      gates.push({ gate: check.name, rule: `${rule} (from the pods' own /metrics through the pod proxy)` });
      continue;
    }
    const template =
      check.name === "error-rate"
        ? builtin.requestsByStatus
        : check.name === "latency-p99"
          ? builtin.latencyBuckets
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

/** Command and web gates (analysis.checks) as the first step's window would run them. */
function checkGates(config: Config, image: string, now: Date): PlannedGate[] {
  const { intervalMs } = durationsOf(config);
  const first = config.rollout.steps[0];
  const window: GateContext = {
    app: config.app,
    namespace: config.namespace,
    step: 0,
    weight: typeof first === "number" ? first : first.weight,
    windowStart: now,
    windowEnd: new Date(now.getTime() + intervalMs),
    canaryPods: [],
    stablePods: [],
    image,
  };
  return config.analysis.checks.map((check) => {
    if (check.command) {
      const variables = Object.keys(gateEnvironment(window)).join(", ");
      return {
        gate: check.name,
        rule: `runs ${JSON.stringify(check.command)} (no shell) with ${variables}; exit 0 passes`,
      };
    }
    const bounds = [check.min !== undefined && `min ${check.min}`, check.max !== undefined && `max ${check.max}`]
      .filter(Boolean)
      .join(", ");
    const render = (track: "canary" | "stable") => {
      const vars = webVariables(window, track, intervalMs);
      const url = fillTemplate(check.url ?? "", vars, encodeURIComponent);
      const body =
        check.body === undefined
          ? undefined
          : fillTemplate(typeof check.body === "string" ? check.body : JSON.stringify(check.body), vars);
      const request = `${check.method ?? "GET"} ${url.ok ? url.query : `cannot render: ${url.why}`}`;
      return body ? `${request} ${body.ok ? body.query : `cannot render: ${body.why}`}` : request;
    };
    const rule = `${check.value} of the answer, ${check.compare ? "canary − stable" : "the canary's"}, ${bounds}; missing or not a number is inconclusive`;
    return { gate: check.name, rule, queries: { canary: render("canary"), stable: render("stable") } };
  });
}
