// The plan a rollout follows, resolved from the configuration when it starts
// and recorded in its state (decision 025): steps, interval, deadlines,
// onInterrupt, scaleDownDelay and the gates with their thresholds. Whoever
// continues the rollout (promote, resume, a re-run of rollout, rollback, status)
// follows the record, so a `--set` that is not repeated, or an edited
// grayctl.yaml, cannot move a canary's traffic back to an earlier step.
// Credentials are not part of the plan: they stay in the configuration and its
// environment and are joined to the recorded gates when the rollout continues.
import { parseDuration } from "../config/duration.ts";
import type { Config } from "../config/schema.ts";

export type PlannedRollout = Pick<
  Config["rollout"],
  "steps" | "interval" | "progressDeadline" | "readyTimeout" | "onInterrupt" | "scaleDownDelay"
>;

export interface RecordedPlan {
  rollout: PlannedRollout;
  /** analysis as configured, without prometheus credentials and without any gate's headers. */
  analysis: Config["analysis"];
}

/** The rollout fields a plan holds (not leaseDuration: that is how a process holds the Lease, not what the rollout does). */
export function plannedRollout(rollout: PlannedRollout): PlannedRollout {
  const { steps, interval, progressDeadline, readyTimeout, onInterrupt, scaleDownDelay } = rollout;
  return { steps, interval, progressDeadline, readyTimeout, onInterrupt, scaleDownDelay };
}

/**
 * Stands in the record for a value that holds a secret (a token that `${VAR}`
 * put into a URL, a command or a body): the value itself is taken from the
 * configuration of whoever continues the rollout.
 */
export const FROM_CONFIGURATION = "<secret: taken from the configuration>";

/**
 * The plan a rollout started now would follow: what the state records.
 * `secrets` (the configuration's, config/secrets.ts) never reach the record.
 */
export function planOf(config: Config, secrets: readonly string[] = []): RecordedPlan {
  const plan = credentialFree(config);
  const found = secrets.filter((secret) => secret.length > 0);
  return found.length === 0 ? plan : (masked(plan, found) as RecordedPlan);
}

function masked(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === "string") return secrets.some((secret) => value.includes(secret)) ? FROM_CONFIGURATION : value;
  if (Array.isArray(value)) return value.map((item) => masked(item, secrets));
  if (isMapping(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, masked(v, secrets)]));
  return value;
}

/** A value masked in the record, back from the configuration: list entries are matched by name where they have one. */
function unmasked(recorded: unknown, configured: unknown): unknown {
  if (recorded === FROM_CONFIGURATION) return configured;
  if (Array.isArray(recorded)) {
    const list = Array.isArray(configured) ? configured : [];
    return recorded.map((item, index) => {
      const name = isMapping(item) ? item.name : undefined;
      const match = name === undefined ? list[index] : list.find((entry) => isMapping(entry) && entry.name === name);
      return unmasked(item, match);
    });
  }
  if (isMapping(recorded)) {
    const current = isMapping(configured) ? configured : {};
    return Object.fromEntries(Object.entries(recorded).map(([k, v]) => [k, unmasked(v, current[k])]));
  }
  return recorded;
}

/** The configured value shown beside the recorded one: masked where the record masked it. */
function remasked(configured: unknown, recorded: unknown): unknown {
  if (recorded === FROM_CONFIGURATION) return FROM_CONFIGURATION;
  if (Array.isArray(configured)) {
    const list = Array.isArray(recorded) ? recorded : [];
    return configured.map((item, index) => {
      const name = isMapping(item) ? item.name : undefined;
      const match = name === undefined ? list[index] : list.find((entry) => isMapping(entry) && entry.name === name);
      return remasked(item, match);
    });
  }
  if (isMapping(configured)) {
    const was = isMapping(recorded) ? recorded : {};
    return Object.fromEntries(Object.entries(configured).map(([k, v]) => [k, remasked(v, was[k])]));
  }
  return configured;
}

function credentialFree(config: Config): RecordedPlan {
  const { metrics, checks, ...analysis } = config.analysis;
  let plannedMetrics = metrics;
  if (metrics?.prometheus) {
    const { bearerToken: _t, username: _u, password: _p, headers: _h, ...prometheus } = metrics.prometheus;
    plannedMetrics = { ...metrics, prometheus };
  }
  return {
    rollout: plannedRollout(config.rollout),
    analysis: {
      ...analysis,
      ...(plannedMetrics ? { metrics: plannedMetrics } : {}),
      checks: checks.map(({ headers: _headers, ...check }) => check),
    },
  };
}

/**
 * The configuration a continued rollout runs with: the recorded plan in place
 * of the configured one, the rest (app, router, lease, hooks) and the
 * credentials from the configuration as it is now.
 */
export function withPlan(config: Config, recorded: RecordedPlan): Config {
  const plan = unmasked(recorded, { rollout: config.rollout, analysis: config.analysis }) as RecordedPlan;
  const prometheus = config.analysis.metrics?.prometheus;
  const credentials = prometheus
    ? {
        bearerToken: prometheus.bearerToken,
        username: prometheus.username,
        password: prometheus.password,
        headers: prometheus.headers,
      }
    : {};
  const metrics = plan.analysis.metrics;
  return {
    ...config,
    rollout: { ...config.rollout, ...plannedRollout(plan.rollout) },
    analysis: {
      ...plan.analysis,
      ...(metrics
        ? {
            metrics: metrics.prometheus
              ? { ...metrics, prometheus: { ...metrics.prometheus, ...definedOnly(credentials) } }
              : metrics,
          }
        : {}),
      checks: plan.analysis.checks.map((check) => {
        const headers = config.analysis.checks.find((now) => now.name === check.name)?.headers;
        return headers ? { ...check, headers } : check;
      }),
    },
  };
}

/** The fields (rollout.steps, analysis.metrics.checks…) where two plans differ, each with both values when short. */
export function planDifferences(recorded: RecordedPlan, configured: RecordedPlan): string[] {
  const found: string[] = [];
  compare(recorded, configured, [], found);
  return found;
}

function compare(recorded: unknown, configured: unknown, path: string[], found: string[]): void {
  // A secret is the environment's business: never compared, never named.
  if (recorded === FROM_CONFIGURATION) return;
  if (isMapping(recorded) && isMapping(configured)) {
    const keys = new Set([...Object.keys(recorded), ...Object.keys(configured)]);
    for (const key of [...keys].sort()) compare(recorded[key], configured[key], [...path, key], found);
    return;
  }
  // "60s" and "1m" are one duration written two ways: not a difference worth a warning.
  if (sameDuration(recorded, configured)) return;
  // Lists (steps, checks) are compared whole: a step moved is the list changed.
  if ((JSON.stringify(unmasked(recorded, configured)) ?? "none") === (JSON.stringify(configured) ?? "none")) return;
  const was = JSON.stringify(recorded) ?? "none";
  const now = JSON.stringify(remasked(configured, recorded)) ?? "none";
  const name = path.join(".");
  found.push(was.length + now.length <= 120 ? `${name} (recorded ${was}, configured ${now})` : name);
}

/** Both durations with a unit ("60s", "1m"), of the same length; a bare number or any other text is compared as written. */
function sameDuration(recorded: unknown, configured: unknown): boolean {
  const asDuration = (value: unknown) =>
    typeof value === "string" && /^\s*\d.*[a-z]\s*$/.test(value) ? parseDuration(value) : undefined;
  const was = asDuration(recorded);
  return was !== undefined && was === asDuration(configured);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
