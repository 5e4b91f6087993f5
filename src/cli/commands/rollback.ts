// `grayctl rollback [--to-revision N] [--no-wait] [--force] [--reason TEXT]`:
// undo the rollout in flight, or the last promotion. Built for incidents: the
// Kubernetes client is imported while the configuration loads, and nothing is
// read before the router write that is not needed to decide it.
import { UsageError } from "../../errors.ts";
import type { CommandContext } from "../context.ts";
import { runUndo } from "../shared/undo.ts";

export interface RollbackOptions {
  toRevision?: string;
  wait: boolean;
  force?: boolean;
  reason?: string;
  /** issue 22: every target of the configuration (rollback-all.ts). */
  all?: boolean;
}

export async function rollbackCommand(ctx: CommandContext, options: RollbackOptions): Promise<number> {
  const toRevision = options.toRevision === undefined ? undefined : parseRevision(options.toRevision);
  if (options.all) {
    if (toRevision !== undefined)
      throw new UsageError(
        "--to-revision and --all: revision numbers are each target's own",
        "See `grayctl history --all`, then `grayctl rollback --to-revision N --context NAME` per target.",
      );
    const { rollbackAllCommand } = await import("./rollback-all.ts");
    return rollbackAllCommand(ctx, {
      mode: "rollback",
      wait: options.wait,
      force: Boolean(options.force),
      reason: reasonOf(ctx, options.reason),
    });
  }
  return runUndo(ctx, {
    mode: "rollback",
    toRevision,
    wait: options.wait,
    force: Boolean(options.force),
    reason: reasonOf(ctx, options.reason),
  });
}

export function parseRevision(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`--to-revision: "${text}" is not a revision number (1, 2, …)`, "See `grayctl history`.");
  return value;
}

/** --reason, else GRAYCTL_REASON: a pipeline passes a typed-in reason through the environment, never through a shell. */
export function reasonOf(ctx: CommandContext, flag: string | undefined): string | undefined {
  return flag ?? (ctx.env.GRAYCTL_REASON?.trim() ? ctx.env.GRAYCTL_REASON : undefined);
}
