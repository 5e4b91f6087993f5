// `grayctl abort [--reason TEXT]`: roll back the rollout in flight, recording
// why. It takes the rollout over from a live process without --force:
// stopping that process is what abort is for.
import type { CommandContext } from "../context.ts";
import { runUndo } from "../shared/undo.ts";

export async function abortCommand(ctx: CommandContext, options: { reason?: string; wait: boolean }): Promise<number> {
  return runUndo(ctx, { mode: "abort", wait: options.wait, force: true, reason: options.reason });
}
