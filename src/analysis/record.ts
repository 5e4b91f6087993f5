// Decision records: every gate evaluation written down with what it looked at
// (source or query, window), what it saw (canary and stable numbers), how it
// judged (statistic, p-value, threshold) and the verdict. Emitted as the
// `gate` event and kept, bounded, in the state of the latest release, so
// `grayctl status --verbose` can say why a rollout went the way it did.

import type { DecisionRecord } from "../model/decision-record.ts";
import type { GateContext, GateResult, GateValues } from "./types.ts";

export type { DecisionRecord } from "../model/decision-record.ts";

/** How many records the state keeps, and how long a text in one may be: the state is one ConfigMap, rewritten at every step. */
export const RECORDS_KEPT = 50;
export const RECORD_TEXT_MAX = 1000;

const THRESHOLD_KEYS = new Set(["min", "max", "alpha", "minRequests", "minSamples", "ratio", "timeoutSeconds"]);

const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);

function clip(text: string): string {
  return text.length > RECORD_TEXT_MAX ? `…${text.slice(text.length - RECORD_TEXT_MAX + 1)}` : text;
}

export function resultText(result: GateResult): string {
  return result.result === "passed" ? result.summary : result.result === "failed" ? result.reason : result.why;
}

/**
 * The record of one evaluation. A gate's numbers arrive as `values`; names led
 * by canary/stable are that track's (canaryRequests → canary.requests), the
 * rule's bounds are the threshold, pValue is the comparison's p-value.
 */
export function decisionRecord(result: GateResult, ctx: GateContext): DecisionRecord {
  const canary: GateValues = {};
  const stable: GateValues = {};
  const threshold: GateValues = {};
  const details: GateValues = {};
  for (const [key, value] of Object.entries(result.values ?? {})) {
    if (key.startsWith("canary") && key.length > 6) canary[lowerFirst(key.slice(6))] = value;
    else if (key.startsWith("stable") && key.length > 6) stable[lowerFirst(key.slice(6))] = value;
    // A threshold check (custom query, web, command) judges the canary's value.
    else if (key === "value") canary.value = value;
    else if (THRESHOLD_KEYS.has(key)) threshold[key] = value;
    else if (key !== "pValue") details[key] = value;
  }
  const seconds = Math.max(0, Math.round((ctx.windowEnd.getTime() - ctx.windowStart.getTime()) / 1000));
  const source = result.source;
  return {
    gate: result.gate,
    source: source?.kind ?? "unknown",
    ...(source?.query ? { query: clip(source.query) } : {}),
    ...(source?.statusLabel ? { statusLabel: source.statusLabel } : {}),
    step: ctx.step + 1,
    weight: ctx.weight,
    window: { start: ctx.windowStart.toISOString(), end: ctx.windowEnd.toISOString(), seconds },
    canary,
    stable,
    statistic: source?.statistic ?? "",
    pValue: typeof result.values?.pValue === "number" ? result.values.pValue : null,
    threshold,
    details,
    verdict: result.result,
    text: clip(resultText(result)),
  };
}

/** The records the state keeps: the newest RECORDS_KEPT. */
export function keepLatest(records: readonly DecisionRecord[]): DecisionRecord[] {
  return records.slice(-RECORDS_KEPT);
}
