// The rollout as the summary tells it, assembled from the reporter's events:
// `step` (weight, replicas) opens a step, `gate` adds a verdict to it, the
// result closes the run. A release in waves (issue 22) reports every target's
// events through one reporter, each carrying `target`: each target gets a
// record of its own, so that its steps and chart are its own. Pure: times come
// with the calls.
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

/** Release-level events that name a target without being that target's own (the wave's failure names its culprit). */
const RELEASE_EVENTS = new Set(["wave-failed"]);

export class RunRecord {
  readonly steps: StepRecord[] = [];
  result: RunResult | undefined;
  /** A release in waves: each target's own record, by name, in the order the waves announced them. */
  readonly targets = new Map<string, RunRecord>();
  /** A target's record: its wave, when its first line came, its rollback's outcome, why its bake failed. */
  wave?: number;
  startedAt?: Date;
  rollback?: string;
  bakeFailed?: string;
  /** A target's bake: each metric ceiling's verdict at its end (decision 049). */
  readonly bakeChecks: { result: string; summary: string }[] = [];

  event(type: string, fields: Fields, at: Date): void {
    if (type === "wave-started" && Array.isArray(fields.targets)) {
      for (const name of fields.targets) this.target(String(name)).wave = Number(fields.wave);
      return;
    }
    if (typeof fields.target === "string" && fields.target && !RELEASE_EVENTS.has(type)) {
      this.target(fields.target).targetEvent(type, fields, at);
      return;
    }
    this.ownEvent(type, fields, at);
  }

  /** The steps a target's (or, without one, the run's) events are about: the last is the current one. */
  stepsOf(target: unknown): StepRecord[] {
    return (typeof target === "string" && this.targets.get(target)?.steps) || this.steps;
  }

  private target(name: string): RunRecord {
    const record = this.targets.get(name) ?? new RunRecord();
    this.targets.set(name, record);
    return record;
  }

  private targetEvent(type: string, fields: Fields, at: Date): void {
    this.startedAt ??= at;
    if (type === "target-result") this.finish(String(fields.outcome), fields, String(fields.outcome), at);
    else if (type === "target-rolled-back") this.rollback = String(fields.outcome);
    else if (type === "bake-failed") this.bakeFailed = String(fields.reason ?? "");
    else if (type === "bake-check")
      this.bakeChecks.push({ result: String(fields.result), summary: String(fields.summary ?? fields.check) });
    else this.ownEvent(type, fields, at);
  }

  private ownEvent(type: string, fields: Fields, at: Date): void {
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
