// `grayctl promote [--full]`: continue a rollout paused at a manual step, or
// with --full skip the remaining steps and promote now.
import type { CommandContext } from "../context.ts";

export async function promoteCommand(ctx: CommandContext, options: { full: boolean; force: boolean }): Promise<number> {
  return continueCommand(ctx, { mode: "promote", full: options.full, force: options.force });
}

/** Shared by promote and resume. */
export async function continueCommand(
  ctx: CommandContext,
  request: { mode: "promote" | "resume"; full: boolean; force: boolean },
): Promise<number> {
  const modules = Promise.all([import("../shared/session.ts"), import("../../operate/continue.ts")]);
  const { config } = await ctx.loadConfig();
  const [{ openSession }, { continueRollout }] = await modules;
  const session = await openSession(ctx, config);
  let outcome: Awaited<ReturnType<typeof continueRollout>>;
  try {
    outcome = await continueRollout(session, request);
  } finally {
    // Pending notifications go out (each within its deadline) before the result, the last line.
    await session.rollout.lifecycle?.settle();
  }
  ctx.reporter.result(outcome.outcome, outcome.fields, outcome.message);
  return outcome.exitCode;
}
