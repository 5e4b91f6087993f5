// `grayctl rollback --all` (issue 22): every target's rollback at once, each
// `grayctl rollback` in its own cluster with its own configuration, with one
// rule across them: every target's traffic goes to stable before any target
// scales its canary down or puts the previous image back on stable (decision
// 048). Each rollback waits at a barrier right after its router write; a
// target that fails or does not answer is named and holds the others for at
// most BARRIER_DEADLINE_MS.
import { ExitCode, UsageError } from "../../errors.ts";
import { createBarrier } from "../../waves/barrier.ts";
import type { CommandContext } from "../context.ts";
import { allTargets, eachTarget, reportFailed, type TargetResult } from "../shared/all-targets.ts";
import { clockFor } from "../shared/test-hooks.ts";
import { runUndo, type UndoRequest } from "../shared/undo.ts";

/**
 * How long a target whose traffic is on stable waits for the others' router writes before its own next
 * writes. A reachable target's router write lands in two API round trips (well under a second); past this,
 * a target is not answering, and the others' scale-down and restore should not wait on its outage.
 */
const BARRIER_DEADLINE_MS = 5_000;

interface Ended {
  outcome: string;
  exitCode: number;
  stableAfterMs?: number;
  message: string;
}

export async function rollbackAllCommand(ctx: CommandContext, request: UndoRequest): Promise<number> {
  // Refused before any target is touched, not once per target.
  if (request.reason !== undefined && request.reason.trim() === "") throw new UsageError("--reason: must not be empty");
  const { config, entries } = await allTargets(ctx, "rollback");
  const barrier = createBarrier(
    entries.map((entry) => entry.target.name),
    { clock: clockFor(ctx.env), deadlineMs: BARRIER_DEADLINE_MS },
  );
  let warned = false;
  const results = await eachTarget(
    ctx,
    entries,
    async ({ ctx: tctx, target }) => {
      let ended: Ended | undefined;
      try {
        await runUndo(tctx, request, {
          afterStable: async () => {
            await barrier.arrive(target.name);
            if (barrier.overdue.length > 0 && !warned) {
              warned = true;
              ctx.reporter.warn(
                `going on without ${barrier.overdue.join(", ")}: no traffic-to-stable write landed there within ${BARRIER_DEADLINE_MS / 1000}s`,
              );
            }
          },
          ended: (outcome, exitCode, stableAfterMs, message) => {
            ended = { outcome, exitCode, stableAfterMs, message };
          },
        });
      } finally {
        // Failed, or nothing to undo (no router write to wait for): nobody waits for this target.
        barrier.leave(target.name);
      }
      return ended!;
    },
    { deadline: false },
  );
  // A target whose rollback threw (did not answer, no permission) says so on its own line, as one that ended does.
  for (const result of results) if (!result.ok) reportFailed(result);
  const failed = results.filter((result) => !result.ok || result.value.exitCode !== ExitCode.ok);
  const exitCode = failed.length === 0 ? ExitCode.ok : exitCodeOf(failed[0]);
  const done = results.filter((result) => result.ok && result.value.exitCode === ExitCode.ok);
  const stableAfter = results.flatMap((result) =>
    result.ok && result.value.stableAfterMs !== undefined ? [result.value.stableAfterMs] : [],
  );
  const parts = [
    done.length > 0
      ? `${done.map((result) => `${result.entry.target.name} ${(result as { value: Ended }).value.outcome}`).join(", ")}`
      : "",
    failed.length > 0 ? `NOT rolled back: ${failed.map(failure).join("; ")}` : "",
  ].filter(Boolean);
  ctx.reporter.result(
    failed.length === 0 ? "rolled-back" : "failed",
    {
      app: config.app,
      targets: Object.fromEntries(results.map((result) => [result.entry.target.name, targetFields(result)])),
      // When the last target's traffic reached stable (ms since start): rollback --all's latency figure.
      lastStableAfterMs: stableAfter.length > 0 ? Math.max(...stableAfter) : undefined,
      ...(failed.length > 0 ? { failed: failed.map((result) => result.entry.target.name) } : {}),
      exitCode,
    },
    parts.join("; "),
  );
  return exitCode;
}

function exitCodeOf(result: TargetResult<Ended>): number {
  return result.ok ? result.value.exitCode : result.exitCode;
}

function failure(result: TargetResult<Ended>): string {
  const why = result.ok ? result.value.message : result.unreachable ? `unreachable: ${result.message}` : result.message;
  return `${result.entry.target.name} (wave ${result.entry.wave}): ${why}`;
}

function targetFields(result: TargetResult<Ended>) {
  if (!result.ok)
    return {
      wave: result.entry.wave,
      outcome: "failed",
      exitCode: result.exitCode,
      unreachable: result.unreachable,
      error: result.message,
    };
  const { outcome, exitCode, stableAfterMs } = result.value;
  return { wave: result.entry.wave, outcome, exitCode, stableAfterMs };
}
