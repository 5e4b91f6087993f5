// PromQL templates: `{{app}}`, `{{namespace}}`, `{{track}}`, `{{pods}}` (a
// regex of the track's pod names), `{{interval}}` (the step window from the
// settings) and `{{window}}` (the window actually being judged), plus the
// built-in queries. Values are escaped for a double-quoted PromQL string, so a
// template writes `app="{{app}}"` or `pod=~"{{pods}}"`.

import { defaultLabels, type SelectorLabels } from "./settings.ts";
import { statusCandidates } from "./status-label.ts";
import { fillTemplate, type Rendered } from "./template.ts";

export interface TemplateVars {
  app: string;
  namespace: string;
  track: "canary" | "stable";
  pods: string[];
  intervalMs: number;
  windowMs: number;
}

export type { Rendered };

/** A PromQL range duration in whole seconds, at least 1 s. */
export function promDuration(ms: number): string {
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}

const escapeString = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const escapeRegex = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Anchored alternation of pod names; a name no pod has when the list is empty (=~"" would match every series without the label). */
export function podsRegex(names: string[]): string {
  return names.length ? names.map(escapeRegex).join("|") : "grayctl-no-pods";
}

export function renderQuery(template: string, vars: TemplateVars): Rendered {
  const values: Record<string, string> = {
    app: escapeString(vars.app),
    namespace: escapeString(vars.namespace),
    track: escapeString(vars.track),
    pods: escapeString(podsRegex(vars.pods)),
    interval: promDuration(vars.intervalMs),
    window: promDuration(vars.windowMs),
  };
  return fillTemplate(template, values);
}

function trackSelector(labels: SelectorLabels): string {
  return `${labels.namespace}="{{namespace}}",${labels.app}="{{app}}",${labels.track}="{{track}}"`;
}

/**
 * Built-in templates, evaluated at each look over the interval since the
 * gate's previous one (`{{window}}`). error-rate asks for counts by status (increase, not
 * rate) so the rule sees how much traffic there was. Without a configured
 * status label it groups by every common name at once: a series keeps the ones
 * it carries (absent labels are dropped from the result), so one query finds
 * whichever the app uses, and a series with none comes back without any
 * (decision 043).
 */
export function builtinQueries(partial: Partial<SelectorLabels> = {}, statusLabel?: string) {
  const labels = { ...defaultLabels, ...partial };
  const selector = trackSelector(labels);
  const statusLabels = statusCandidates(statusLabel);
  return {
    requestsByStatus: `sum by (${statusLabels.join(", ")}) (increase(http_requests_total{${selector}}[{{window}}]))`,
    // Bucket counts, not a quantile: latency-p99 counts requests slower than a bound (sequential-latency.ts).
    latencyBuckets: `sum by (le) (increase(http_request_duration_seconds_bucket{${selector}}[{{window}}]))`,
    statusLabels,
  };
}
