// Which outcomes are transitions that hooks and notifications hear about, and
// the run they describe. A first deploy is announced as promoted: it is the
// release reaching production. superseded is not announced: another process
// owns the rollout now and its ending is that process's to say.
import { ExitCode } from "../errors.ts";
import type { RunInfo, Transition } from "../hooks/types.ts";
import type { Outcome, RolloutContext } from "./context.ts";

const TRANSITIONS: Partial<Record<Outcome["outcome"], Transition>> = {
  deployed: "promoted",
  promoted: "promoted",
  "rolled-back": "rolled-back",
  paused: "paused",
  interrupted: "failed",
  unreachable: "failed",
  "lease-lost": "failed",
};

function runOf(ctx: RolloutContext, image: string, outcome?: Outcome): RunInfo {
  const fields = outcome?.fields ?? {};
  return {
    app: ctx.config.app,
    namespace: ctx.config.namespace,
    image: (fields.image as string | undefined) ?? image,
    revision: (fields.revision as number | undefined) ?? ctx.store.last?.state?.revision,
    outcome: outcome?.outcome,
    reason: fields.reason as string | undefined,
    message: outcome?.message,
  };
}

/** Runs `work` (a begun rollout) and announces how it ended; an unexpected error is announced as failed, then thrown. */
export async function announced(ctx: RolloutContext, image: string, work: () => Promise<Outcome>): Promise<Outcome> {
  let outcome: Outcome;
  try {
    outcome = await work();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    await ctx.lifecycle?.transition("failed", { ...runOf(ctx, image), outcome: "error", reason });
    throw error;
  }
  const kind = outcome.quiet ? undefined : TRANSITIONS[outcome.outcome];
  if (!kind || !ctx.lifecycle) return outcome;
  const hooks = await ctx.lifecycle.transition(kind, runOf(ctx, image, outcome));
  return hooks.length > 0 ? { ...outcome, fields: { ...outcome.fields, hooks } } : outcome;
}

/** Runs hooks.preRollout; a failure stops the rollout before its first write for the app (exit 3, decision 023). */
export async function preRollout(ctx: RolloutContext, image: string, revision: number): Promise<Outcome | undefined> {
  const run = { app: ctx.config.app, namespace: ctx.config.namespace, image, revision };
  const reason = await ctx.lifecycle?.beforeStart(run);
  if (!reason) return undefined;
  await ctx.lifecycle?.transition("failed", { ...run, outcome: "pre-rollout-failed", reason });
  return {
    outcome: "pre-rollout-failed",
    exitCode: ExitCode.rolledBack,
    message: `${reason}; the rollout of ${image} did not start and nothing was changed`,
    fields: { ...run, reason },
    quiet: true,
  };
}

/** Announces a rollout that has just recorded its claim. */
export async function started(ctx: RolloutContext, image: string, revision: number): Promise<void> {
  await ctx.lifecycle?.transition("started", { app: ctx.config.app, namespace: ctx.config.namespace, image, revision });
}
