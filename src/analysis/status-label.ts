// Which label of a request counter holds the HTTP status, and counting 5xx by
// it. Apps name it their own way (podinfo: `status`; OpenTelemetry:
// `http_response_status_code`), so unless analysis.metrics.statusLabel names
// one, the common names are tried in order. A series carrying none of them
// cannot be told apart into successes and errors: its requests are counted as
// unlabelled, and the error-rate gate is inconclusive rather than read them
// as successes (issue 21: a podinfo canary answering 540 5xx passed as "0 5xx").
// Both providers count through tallyRequests. Decision 043.

import type { GateResult } from "./types.ts";

/** Tried in this order when no label is configured. */
export const STATUS_LABELS = ["code", "status", "status_code", "http_status", "http_response_status_code"] as const;

/** The labels to look at: the configured one alone, else the common names. */
export function statusCandidates(configured?: string): readonly string[] {
  return configured ? [configured] : STATUS_LABELS;
}

// A status code (500) or a status class (5xx), as some exporters record it.
const HTTP_STATUS = /^[1-5](\d\d|xx)$/i;
const SERVER_ERROR = /^5(\d\d|xx)$/i;

/** The first candidate whose value is an HTTP status, or undefined. */
export function statusOf(
  labels: Record<string, string>,
  candidates: readonly string[],
): { label: string; value: string } | undefined {
  for (const label of candidates) {
    const value = labels[label];
    if (value !== undefined && HTTP_STATUS.test(value)) return { label, value };
  }
  return undefined;
}

export interface RequestTally {
  requests: number;
  errors: number;
  /** The status labels the series were counted by, in candidate order. */
  labels: string[];
  /** Requests in series without a recognisable status, and one such series for the message. */
  unlabelled: number;
  example?: Record<string, string>;
}

export function emptyTally(): RequestTally {
  return { requests: 0, errors: 0, labels: [], unlabelled: 0 };
}

/** Adds request-counter series (increases over the window) to a tally. */
export function tallyRequests(
  tally: RequestTally,
  series: Iterable<{ labels: Record<string, string>; value: number }>,
  candidates: readonly string[],
): RequestTally {
  for (const { labels, value } of series) {
    tally.requests += value;
    const status = statusOf(labels, candidates);
    if (status) {
      if (!tally.labels.includes(status.label)) {
        tally.labels.push(status.label);
        tally.labels.sort((a, b) => candidates.indexOf(a) - candidates.indexOf(b));
      }
      if (SERVER_ERROR.test(status.value)) tally.errors += value;
    } else if (value !== 0) {
      // A series that did not move changes nothing; one that did (or is NaN) cannot be judged.
      tally.unlabelled += value;
      tally.example ??= labels;
    }
  }
  return tally;
}

const quoted = (names: readonly string[]) => names.map((name) => `"${name}"`).join(", ");

function seriesText(metric: string, labels: Record<string, string>): string {
  const text = `${metric}{${Object.entries(labels)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(",")}}`;
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}

/** Why a window cannot be judged when a track has unlabelled requests: what was looked for and how to configure it. */
export function unlabelledReason(
  tracks: { canary: RequestTally; stable: RequestTally },
  metric: string,
  configured: string | undefined,
): string | undefined {
  const [track, tally] = Object.entries(tracks).find(([, counted]) => counted.unlabelled !== 0) ?? [];
  if (!track || !tally) return undefined;
  const count = Number.isFinite(tally.unlabelled) ? String(Math.round(tally.unlabelled)) : String(tally.unlabelled);
  // Prometheus' answer is grouped by the status labels alone: a series with none has nothing to show.
  const example =
    tally.example && Object.keys(tally.example).length ? ` (e.g. ${seriesText(metric, tally.example)})` : "";
  const looked = configured
    ? `the configured status label ${quoted([configured])} (analysis.metrics.statusLabel)`
    : `any of the status labels ${quoted(STATUS_LABELS)}`;
  const fix = configured
    ? "check that this label holds the HTTP status code"
    : "set analysis.metrics.statusLabel to the label that holds the HTTP status code";
  return `${track}: ${count} requests in ${metric} series without ${looked} holding an HTTP status${example}; errors cannot be told from successes — ${fix}`;
}

/** "status" or "code, status": the labels both tracks were counted by, for the record. */
export function labelsUsed(...tallies: RequestTally[]): string | undefined {
  const all = [...new Set(tallies.flatMap((tally) => tally.labels))];
  all.sort((a, b) => order(a) - order(b));
  return all.length ? all.join(", ") : undefined;
}

const order = (label: string) => {
  const index = (STATUS_LABELS as readonly string[]).indexOf(label);
  return index < 0 ? -1 : index;
};

/** Says in a verdict's own words which label told 5xx apart ("inconclusive" has its own reason). */
export function withLabel(result: GateResult, used: string | undefined): GateResult {
  if (!used) return result;
  const names = used.split(", ");
  const words = ` (5xx by status label${names.length > 1 ? "s" : ""} ${quoted(names)})`;
  if (result.result === "passed") return { ...result, summary: result.summary + words };
  if (result.result === "failed") return { ...result, reason: result.reason + words };
  return result;
}
