// One gate evaluation as the state keeps it (analysis/record.ts writes them):
// what it looked at, what it saw, how it judged and the verdict.
import type { GateResult, GateValues } from "./gate-result.ts";

export interface DecisionRecord {
  gate: string;
  /** Which kind of gate judged: health, prometheus, pods, command, web. */
  source: string;
  /** The rendered query, URL or command line (never headers or credentials). */
  query?: string;
  /** error-rate: the request counter's label(s) that told 5xx apart, e.g. "status". */
  statusLabel?: string;
  /** 1-based step and the canary's weight during the window. */
  step: number;
  weight: number;
  window: { start: string; end: string; seconds: number };
  canary: GateValues;
  stable: GateValues;
  statistic: string;
  pValue: number | null;
  threshold: GateValues;
  /** Other numbers the gate reported (pods scraped, exit code…). */
  details: GateValues;
  /** "continue": a look inside the step's window that concluded nothing; only the window's end may pass a step. */
  verdict: GateResult["result"] | "continue";
  /** The verdict's own words: summary, reason or why. */
  text: string;
  /** Present on a look inside the window (every analysis.evaluateEvery); absent on the step's verdict at its end. */
  look?: "interim";
  /** Sequential gates: the running e-values (comparison with stable, ceiling at max) and the threshold either must reach to fail. */
  evidence?: { eValue: number; ceilingEValue: number | null; threshold: number };
}
