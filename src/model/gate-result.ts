// What one look of a gate concluded, as the engine acts on it and the state
// records it. Outcomes are values, not exceptions: "inconclusive" (no data,
// NaN, too few requests) never counts as a pass.

export type GateValues = Record<string, number | null>;

/** What a gate looked at and how it judged, for the decision record (record.ts). */
export interface GateSource {
  kind: "health" | "prometheus" | "pods" | "command" | "web";
  /** The rendered query, URL or command line: never headers or credentials. */
  query?: string;
  statistic: string;
  /** error-rate: the label(s) of the request counter that told 5xx apart, e.g. "status". */
  statusLabel?: string;
}

type Common = {
  gate: string;
  values?: GateValues;
  source?: GateSource;
  /** A look inside the step's window (issue 21): only a failure acts; anything else waits for the window's end. */
  interim?: boolean;
};

export type GateResult =
  | (Common & { result: "passed"; summary: string })
  | (Common & { result: "failed"; reason: string; pod?: string })
  | (Common & { result: "inconclusive"; why: string });
