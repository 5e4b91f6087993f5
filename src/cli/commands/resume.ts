// `grayctl resume`: continue an interrupted rollout, or one whose process died
// (its Lease expired), from the recorded step.
import type { CommandContext } from "../context.ts";
import { continueCommand } from "./promote.ts";

export async function resumeCommand(ctx: CommandContext, options: { force: boolean }): Promise<number> {
  return continueCommand(ctx, { mode: "resume", full: false, force: options.force });
}
