// The gates' evaluations inside a step (issue 21): every
// analysis.evaluateEvery the continuous (metric) gates look at the counts
// since their previous look; a conclusive failure at any look rolls back at
// once. Command and web gates judge at the window's end only (steps.ts).
// Every look is a decision record in the state (bounded by keepLatest) and a
// `look` event, so status --verbose and the CI summary show the evidence's path.
import { type DecisionRecord, decisionRecord, keepLatest, resultText } from "../analysis/record.ts";
import type { Gate, GateContext, GateResult, PodRef } from "../analysis/types.ts";
import { type Track, trackSelector } from "../kube/names.ts";
import type { RolloutState } from "../model/state.ts";
import type { RolloutContext } from "./context.ts";
import { judge } from "./plan.ts";

async function podRefs(ctx: RolloutContext, track: Track): Promise<PodRef[]> {
  const pods = await ctx.cluster.listPods(trackSelector(ctx.config.app, track));
  return pods
    .filter((p) => !p.metadata?.deletionTimestamp)
    .map((p) => ({
      name: p.metadata?.name ?? "",
      namespace: ctx.config.namespace,
      track,
      port: ctx.config.deployment.port,
    }));
}

export async function gateContext(
  ctx: RolloutContext,
  state: RolloutState,
  stepIndex: number,
  weight: number,
  windowStart: number,
  final = true,
): Promise<GateContext> {
  return {
    image: state.image,
    app: ctx.config.app,
    namespace: ctx.config.namespace,
    step: stepIndex,
    weight,
    windowStart: new Date(windowStart),
    windowEnd: new Date(ctx.clock.now()),
    final,
    canaryPods: await podRefs(ctx, "canary"),
    stablePods: await podRefs(ctx, "stable"),
    signal: ctx.signal,
  };
}

export async function evaluateAll(ctx: RolloutContext, gateCtx: GateContext, gates: Gate[]): Promise<GateResult[]> {
  const results: GateResult[] = [];
  for (const gate of gates) {
    try {
      results.push(await gate.evaluate(gateCtx));
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      // A gate that breaks cannot vouch for the canary: inconclusive, never a pass.
      results.push({ gate: gate.name, result: "inconclusive", why: `could not evaluate: ${(error as Error).message}` });
    }
  }
  return results;
}

/**
 * One look inside the window by the continuous gates: recorded, and the
 * failure's reason when one concluded (the caller rolls back), else undefined.
 */
export async function lookInside(
  ctx: RolloutContext,
  state: RolloutState,
  stepIndex: number,
  weight: number,
  windowStart: number,
): Promise<string | undefined> {
  const gates = ctx.gates.filter((gate) => gate.continuous);
  if (gates.length === 0) return undefined;
  const looking = await gateContext(ctx, state, stepIndex, weight, windowStart, false);
  const results = (await evaluateAll(ctx, looking, gates)).map((result) => ({ ...result, interim: true }));
  const records = results.map((result) => decisionRecord(result, looking));
  results.forEach((result, i) => {
    // A failure is the step's verdict: the `gate` event (with its line) as at a window's end.
    if (result.result === "failed") reportGate(ctx, result, records[i]);
    else reportLook(ctx, result, records[i]);
  });
  const failed = results.filter((result) => result.result === "failed");
  await ctx.store.updateOwned(ctx.owner, (s) => ({
    ...s,
    ...(failed.length ? { gates: results } : {}),
    decisions: keepLatest([...(s.decisions ?? []), ...records]),
  }));
  if (failed.length === 0) return undefined;
  const verdict = judge(failed, {}, ctx.config.analysis.inconclusiveLimit);
  return verdict.verdict === "fail" ? verdict.reason : undefined;
}

/** A look that concluded nothing: an event for machines (JSON lines, the CI summary), no line for people. */
function reportLook(ctx: RolloutContext, result: GateResult, record: DecisionRecord): void {
  const { gate: _gate, ...rest } = record;
  ctx.reporter.event("look", { gate: result.gate, result: result.result, values: result.values ?? {}, ...rest });
}

/** One `gate` event per evaluation: the verdict as before, plus its decision record's fields; a failure is a warning. */
export function reportGate(ctx: RolloutContext, result: GateResult, record: DecisionRecord): void {
  const said = resultText(result);
  // Metric and command gates start their texts with their name: say it once.
  const own = said.startsWith(`${result.gate}: `) ? said.slice(result.gate.length + 2) : said;
  const text = result.result === "inconclusive" ? `inconclusive: ${own}` : own;
  const { gate: _gate, ...rest } = record;
  const level = result.result === "failed" ? "warn" : "info";
  ctx.reporter.event("gate", { ...result, ...rest }, `  ${result.gate}: ${result.result} — ${text}`, level);
}
