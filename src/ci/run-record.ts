// The rollout as the summary tells it, assembled from the reporter's events:
// `step` (weight, replicas) opens a step, `gate` adds a verdict to it, the
// result closes the run. Pure: times come with the calls.
import type { Fields } from "../output/types.ts";

export interface GateVerdict {
  gate: string;
  result: "passed" | "failed" | "inconclusive";
  /** The verdict's own words, with its numbers: "canary 0.5% (1/200) vs stable 0.4% (2/500)". */
  text: string;
  canaryRate?: number;
  stableRate?: number;
}

export interface StepRecord {
  step: number;
  of: number;
  weight: number;
  startedAt: Date;
  endedAt?: Date;
  /** Windows judged at this step: more than one when an inconclusive verdict extended it. */
  windows: number;
  gates: GateVerdict[];
  /** Sequential gates: the e-value at each look of this step (the larger of comparison and ceiling), per gate. */
  evidence: Record<string, { values: number[]; threshold: number }>;
}

export interface RunResult {
  outcome: string;
  text: string;
  fields: Fields;
  at: Date;
}

const rate = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : undefined);

export function gateVerdict(fields: Fields): GateVerdict {
  const result = fields.result as GateVerdict["result"];
  const text = String((result === "passed" ? fields.summary : result === "failed" ? fields.reason : fields.why) ?? "");
  const values = (fields.values ?? {}) as Record<string, unknown>;
  return {
    gate: String(fields.gate),
    result,
    text,
    canaryRate: rate(values.canaryRate),
    stableRate: rate(values.stableRate),
  };
}

function addEvidence(step: StepRecord, fields: Fields): void {
  const evidence = fields.evidence as { eValue?: unknown; ceilingEValue?: unknown; threshold?: unknown } | undefined;
  if (!evidence || typeof evidence.eValue !== "number" || typeof evidence.threshold !== "number") return;
  const gate = String(fields.gate);
  step.evidence[gate] ??= { values: [], threshold: evidence.threshold };
  const path = step.evidence[gate];
  path.values.push(Math.max(evidence.eValue, typeof evidence.ceilingEValue === "number" ? evidence.ceilingEValue : 0));
}

export class RunRecord {
  readonly steps: StepRecord[] = [];
  result: RunResult | undefined;

  event(type: string, fields: Fields, at: Date): void {
    if (type === "step") {
      this.closeStep(at);
      this.steps.push({
        step: Number(fields.step),
        of: Number(fields.of),
        weight: Number(fields.weight),
        startedAt: at,
        windows: 0,
        gates: [],
        evidence: {},
      });
    } else if (type === "look") {
      const current = this.steps.at(-1);
      if (current) addEvidence(current, fields);
    } else if (type === "gate") {
      const current = this.steps.at(-1);
      if (!current) return;
      addEvidence(current, fields);
      // A failure at a look inside the window is this step's verdict, like one at its end.
      const verdict = gateVerdict(fields);
      const index = current.gates.findIndex((gate) => gate.gate === verdict.gate);
      // A gate judged again at the same step: a new window; the latest verdict stands.
      if (index === -1) {
        current.gates.push(verdict);
        current.windows ||= 1;
      } else {
        current.gates[index] = verdict;
        if (index === 0) current.windows += 1;
      }
    }
  }

  finish(outcome: string, fields: Fields, text: string, at: Date): void {
    this.closeStep(at);
    this.result = { outcome, fields, text, at };
  }

  private closeStep(at: Date): void {
    const last = this.steps.at(-1);
    if (last && !last.endedAt) last.endedAt = at;
  }
}
