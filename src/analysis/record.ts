// Decision records: every gate evaluation written down with what it looked at
// (source or query, window), what it saw (canary and stable numbers), how it
// judged (statistic, p-value, threshold) and the verdict. Emitted as the
// `gate` event and kept, bounded, in the state of the latest release, so
// `grayctl status --verbose` can say why a rollout went the way it did.

import type { DecisionRecord } from "../model/decision-record.ts";
import type { GateContext, GateResult, GateValues } from "./types.ts";

export type { DecisionRecord } from "../model/decision-record.ts";

/**
 * How many records the state keeps, and how long a text in one may be: the
 * state is one ConfigMap, rewritten at every look. Step verdicts (the
 * window's end) and looks inside windows are bounded apart, so a long step's
 * looks never push earlier steps' verdicts out: at most 50 verdicts of up to
 * ~2.5 KB and 100 looks of under ~1.5 KB (no query, no statistic) — well
 * under 300 KB of the ConfigMap's 1 MiB.
 */
export const RECORDS_KEPT = 50;
export const LOOKS_KEPT = 100;
export const RECORD_TEXT_MAX = 1000;

const THRESHOLD_KEYS = new Set([
  "min",
  "max",
  "alpha",
  "minRequests",
  "minSamples",
  "ratio",
  "timeoutSeconds",
  "eThreshold",
]);
const EVIDENCE_KEYS = new Set(["eValue", "ceilingEValue"]);

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
    else if (key !== "pValue" && !EVIDENCE_KEYS.has(key)) details[key] = value;
  }
  const seconds = Math.max(0, Math.round((ctx.windowEnd.getTime() - ctx.windowStart.getTime()) / 1000));
  const source = result.source;
  const values = result.values ?? {};
  const evidence =
    typeof values.eValue === "number" && typeof values.eThreshold === "number"
      ? { eValue: values.eValue, ceilingEValue: values.ceilingEValue ?? null, threshold: values.eThreshold }
      : undefined;
  // A look inside the window concludes nothing unless it fails; the step's verdict record carries the query and rule.
  const interim = result.interim === true;
  const verdict = interim && result.result === "passed" ? "continue" : result.result;
  return {
    gate: result.gate,
    source: source?.kind ?? "unknown",
    ...(source?.query && !interim ? { query: clip(source.query) } : {}),
    ...(source?.statusLabel ? { statusLabel: source.statusLabel } : {}),
    step: ctx.step + 1,
    weight: ctx.weight,
    window: { start: ctx.windowStart.toISOString(), end: ctx.windowEnd.toISOString(), seconds },
    canary,
    stable,
    statistic: interim ? "" : (source?.statistic ?? ""),
    pValue: typeof result.values?.pValue === "number" ? result.values.pValue : null,
    threshold,
    details,
    verdict,
    text: clip(resultText(result)),
    ...(interim ? { look: "interim" as const } : {}),
    ...(evidence ? { evidence } : {}),
  };
}

/** The records the state keeps, in order: the newest RECORDS_KEPT step verdicts and the newest LOOKS_KEPT looks. */
export function keepLatest(records: readonly DecisionRecord[]): DecisionRecord[] {
  let verdicts = records.filter((record) => record.look !== "interim").length - RECORDS_KEPT;
  let looks = records.filter((record) => record.look === "interim").length - LOOKS_KEPT;
  return records.filter((record) => (record.look === "interim" ? looks-- <= 0 : verdicts-- <= 0));
}
