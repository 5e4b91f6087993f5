// Runs the canary steps from the recorded one: scale the canary to its share
// and wait until it is ready, only then raise its weight, wait the interval
// while watching for crashes, judge the gates, pause if asked.
import { decisionRecord, keepLatest } from "../analysis/record.ts";
import { formatDuration } from "../config/duration.ts";
import type { Progress } from "../output/types.ts";
import type { RolloutContext } from "./context.ts";
import { waitCanaryReady } from "./deployments.ts";
import { trackSelector } from "../kube/names.ts";
import { evaluateAll, gateContext, lookInside, reportGate } from "./gate-looks.ts";
import { canaryWeightOf, durationsOf, isBackwards, judge, type Step, stepsOf } from "./plan.ts";
import { failFastReason, summarizeTrack } from "../model/pods.ts";
import type { RolloutState } from "../model/state.ts";
import { planTracks, scaleCanary } from "./track-sizes.ts";

export type StepsOutcome = { kind: "done" } | { kind: "failed"; reason: string } | { kind: "paused"; step: number };

/** How often the interval wait looks for crash loops: a crashing canary is not left serving for a whole step. */
const WATCH_EVERY_MS = 1_000;

/**
 * Waits one window, checking for crash loops and letting the metric gates look
 * every `look.everyMs`; returns why the canary failed (its health or a gate).
 */
async function watchWindow(
  ctx: RolloutContext,
  step: Step,
  title: string,
  intervalMs: number,
  deadline: number,
  look: { everyMs: number; run: () => Promise<string | undefined> },
  /** The step's line, when the wait for its pods already started it. */
  started?: Progress,
): Promise<{ kind: "health" | "gate"; reason: string } | undefined> {
  const end = Math.min(ctx.clock.now() + intervalMs, deadline);
  const progress = started ?? ctx.reporter.start("step", title);
  let nextLook = ctx.clock.now() + look.everyMs;
  while (ctx.clock.now() < end) {
    await ctx.clock.sleep(Math.min(WATCH_EVERY_MS, end - ctx.clock.now()), ctx.signal);
    const canary = summarizeTrack(await ctx.cluster.listPods(trackSelector(ctx.config.app, "canary")));
    const stable = summarizeTrack(await ctx.cluster.listPods(trackSelector(ctx.config.app, "stable")));
    // Invariant 1 holds during the window too: a canary pod that stops being ready
    // leaves its share of traffic with nowhere to go (ingress answers 503) until the
    // window ends, which is a minute in production. Leave now.
    const unready = canary.pods.find((pod) => !pod.terminating && !pod.ready);
    const fast =
      failFastReason(canary) ?? (unready && `pod ${unready.name} stopped being ready at ${step.weight}% of traffic`);
    if (fast) {
      progress.fail(`${title}: ${fast}`);
      return { kind: "health", reason: fast };
    }
    const left = end - ctx.clock.now();
    // The window is over: its line below says so, not "0s left"; the window's end is judged by the caller.
    if (left <= 0) break;
    if (ctx.clock.now() >= nextLook) {
      nextLook = ctx.clock.now() + look.everyMs;
      const failed = await look.run();
      if (failed) {
        progress.fail(`${title}: ${failed}`);
        return { kind: "gate", reason: failed };
      }
    }
    const state = `${title} · ready canary ${canary.ready}/${canary.live} stable ${stable.ready}/${stable.live}`;
    progress.update(`${state} · ${formatDuration(Math.ceil(left / 1000) * 1000)} left`, state);
  }
  progress.succeed(`${title}: window of ${formatDuration(intervalMs)} done`);
  return undefined;
}

export async function runSteps(ctx: RolloutContext, initial: RolloutState, deadline: number): Promise<StepsOutcome> {
  const steps = stepsOf(ctx.config);
  const { intervalMs, readyTimeoutMs, evaluateEveryMs } = durationsOf(ctx.config);
  let state = initial;
  // A resumed rollout redoes its recorded step: every action below is idempotent.
  for (let index = Math.max(0, state.stepIndex); index < steps.length; index++) {
    const step = steps[index];
    // Traffic never moves backwards outside a rollback: a step below the canary's
    // weight (an older record continued with edited steps) is passed over.
    if (isBackwards(step.weight, state)) {
      ctx.reporter.warn(
        `step ${index + 1}/${steps.length} (${step.weight}%) is below the canary's ${canaryWeightOf(state)}%: skipped, traffic never moves back outside a rollback`,
      );
      continue;
    }
    // Sized from stable's actual replicas each step: its autoscaler may have moved it since the last.
    const plan = await planTracks(ctx, state, step.weight);
    state = (
      await ctx.store.updateOwned(ctx.owner, (s) => ({
        ...s,
        phase: "progressing",
        stepIndex: index,
        targetWeight: step.weight,
        stepStartedAt: new Date(ctx.clock.now()).toISOString(),
      }))
    ).state!;
    const effective =
      plan.effectiveWeight !== step.weight
        ? ` (the replica ratio gives ${plan.effectiveWeight}%: ${plan.canary} canary / ${plan.stable} stable pods)`
        : "";
    const title = `step ${index + 1}/${steps.length}: ${step.weight}% to canary${effective}`;
    // One line per step: it shows the canary's pods coming up, then the window.
    let line: Progress | undefined = ctx.reporter.start("step", title);
    // Invariant 1: the canary is scaled and ready for its share before its weight grows.
    await scaleCanary(ctx, plan);
    const readyBy = Math.min(deadline, ctx.clock.now() + readyTimeoutMs);
    const ready = await waitCanaryReady(ctx, plan.canary, readyBy, title, line);
    if (!ready.ok) return { kind: "failed", reason: `health: ${ready.reason}` };
    await ctx.router.setCanaryWeight(step.weight);
    state = (await ctx.store.updateOwned(ctx.owner, (s) => ({ ...s, weight: step.weight }))).state!;
    // The event for machines; people read the step in its line.
    ctx.reporter.event("step", {
      step: index + 1,
      of: steps.length,
      weight: step.weight,
      effectiveWeight: plan.effectiveWeight,
      canaryReplicas: plan.canary,
    });

    let inconclusive: Record<string, number> = {};
    for (;;) {
      const windowStart = ctx.clock.now();
      const opening = await gateContext(ctx, state, index, step.weight, windowStart);
      for (const gate of ctx.gates) await gate.begin?.(opening);
      const looks = {
        everyMs: evaluateEveryMs,
        run: () => lookInside(ctx, state, index, step.weight, windowStart),
      };
      const broke = await watchWindow(ctx, step, title, intervalMs, deadline, looks, line);
      line = undefined;
      if (broke?.kind === "health") return { kind: "failed", reason: `health: ${broke.reason}` };
      if (broke) return { kind: "failed", reason: broke.reason };
      if (ctx.clock.now() >= deadline) return { kind: "failed", reason: "progress deadline exceeded" };
      const closing = await gateContext(ctx, state, index, step.weight, windowStart);
      const results = await evaluateAll(ctx, closing, ctx.gates);
      const verdict = judge(results, inconclusive, ctx.config.analysis.inconclusiveLimit);
      const records = verdict.results.map((result) => decisionRecord(result, closing));
      verdict.results.forEach((result, i) => {
        reportGate(ctx, result, records[i]);
      });
      state = (
        await ctx.store.updateOwned(ctx.owner, (s) => ({
          ...s,
          gates: verdict.results,
          decisions: keepLatest([...(s.decisions ?? []), ...records]),
          inconclusive: verdict.verdict === "wait" ? verdict.inconclusive : {},
        }))
      ).state!;
      if (verdict.verdict === "fail") return { kind: "failed", reason: verdict.reason };
      if (verdict.verdict === "pass") break;
      inconclusive = verdict.inconclusive;
      ctx.reporter.warn(`step ${index + 1}: inconclusive (${verdict.why}); extending the step by another window`);
    }

    if (step.pause === "manual") {
      await ctx.store.updateOwned(ctx.owner, (s) => ({ ...s, phase: "paused", stepIndex: index }));
      return { kind: "paused", step: index };
    }
    if (typeof step.pause === "number" && step.pause > 0)
      await ctx.clock.sleep(Math.min(step.pause, Math.max(0, deadline - ctx.clock.now())), ctx.signal);
  }
  return { kind: "done" };
}
