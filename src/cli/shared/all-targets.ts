// `--all` of status, rollback and history (issue 22): the same command on every
// target of a configuration with `targets`, each in its own command context
// (target-context.ts: its kubeconfig context or file, its configuration with its
// `set:` overrides and namespace, its prefixed lines), all at once. A target
// that fails or does not answer is an outcome with its name, never an error that
// hides the others' results.
import { basename } from "node:path";
import type { Config } from "../../config/schema.ts";
import type { ResolvedTarget } from "../../config/targets.ts";
import { ExitCode, isGrayctlError, UsageError } from "../../errors.ts";
import { missingNamespace, permissionProblem } from "../../kube/errors.ts";
import type { CommandContext } from "../context.ts";
import { targetContext } from "./target-context.ts";
import { clockFor, timeoutsFor } from "./test-hooks.ts";

/** One target of the configuration, where the command acts on it. */
export interface TargetEntry {
  target: ResolvedTarget;
  /** Its wave, counted from 1 as `grayctl plan` and the release's lines count them. */
  wave: number;
  ctx: CommandContext;
}

export type TargetResult<T> =
  | { entry: TargetEntry; ok: true; value: T }
  | { entry: TargetEntry; ok: false; message: string; exitCode: number; unreachable: boolean };

/** How long one API call may retry by default (kube/retry.ts): a target that answers nothing in that time is unreachable. */
const DEFAULT_TARGET_DEADLINE_MS = 20_000;

/** Every target with its context; exit 2 naming `targets` when the configuration has none. */
export async function allTargets(
  ctx: CommandContext,
  command: string,
): Promise<{ config: Config; entries: TargetEntry[] }> {
  if (ctx.globals.context !== undefined)
    throw new UsageError(
      `--all and --context: --all acts on every target, each through its own context; pass one of them`,
      `\`grayctl ${command} --context NAME\` acts on one cluster.`,
    );
  const { config, targets, file } = await ctx.loadConfig();
  if (!targets)
    throw new UsageError(
      `--all: ${basename(file)} has no targets, so there is nothing to act on but one cluster`,
      `Drop --all (\`grayctl ${command}\` acts on the kubeconfig's context), or list the clusters under targets: and waves:.`,
    );
  const entries = targets.map((target) => ({
    target,
    wave: 1 + (config.waves ?? []).findIndex((wave) => wave.targets.includes(target.name)),
    ctx: targetContext(ctx, target),
  }));
  return { config, entries };
}

/**
 * Said on stderr when a command without --all or --context meets a configuration with targets: it acts on
 * the kubeconfig's current context with the top-level configuration, which is likely not what was meant.
 */
export async function hintAtTargets(ctx: CommandContext, command: string): Promise<void> {
  if (ctx.globals.context !== undefined) return;
  const { targets } = await ctx.loadConfig();
  if (!targets) return;
  ctx.reporter.warn(
    `the configuration has targets (${targets.map((t) => t.name).join(", ")}); this ${command} acts on the kubeconfig's current context only: \`grayctl ${command} --all\` acts on every target`,
  );
}

/** Runs `work` on every target at once; `deadline`: a target not done by then is unreachable (status, history). */
export async function eachTarget<T>(
  ctx: CommandContext,
  entries: TargetEntry[],
  work: (entry: TargetEntry) => Promise<T>,
  options: { deadline: boolean },
): Promise<TargetResult<T>[]> {
  const clock = clockFor(ctx.env);
  const deadlineMs = timeoutsFor(ctx.env).callBudgetMs ?? DEFAULT_TARGET_DEADLINE_MS;
  return Promise.all(
    entries.map(async (entry): Promise<TargetResult<T>> => {
      const stopTimer = new AbortController();
      const timedOut = options.deadline
        ? clock.sleep(deadlineMs, stopTimer.signal).then(
            () => "timeout" as const,
            () => new Promise<never>(() => {}),
          )
        : new Promise<never>(() => {});
      try {
        const value = await Promise.race([work(entry), timedOut]);
        if (value === "timeout") {
          return {
            entry,
            ok: false,
            message: `its Kubernetes API did not answer within ${deadlineMs / 1000}s`,
            exitCode: ExitCode.timeout,
            unreachable: true,
          };
        }
        return { entry, ok: true, value: value as T };
      } catch (error) {
        return { entry, ok: false, ...failureOf(error) };
      } finally {
        stopTimer.abort();
      }
    }),
  );
}

/** What a target's error says, as the launcher would say it for one cluster (a missing permission: exit 2). */
function failureOf(error: unknown): { message: string; exitCode: number; unreachable: boolean } {
  const denied = permissionProblem(error) ?? missingNamespace(error);
  if (denied) return { message: denied.message, exitCode: ExitCode.usage, unreachable: false };
  const message = error instanceof Error ? error.message : String(error);
  if (isGrayctlError(error))
    return { message, exitCode: error.exitCode, unreachable: error.exitCode === ExitCode.timeout };
  return { message, exitCode: ExitCode.internal, unreachable: false };
}

/** The exit code of the first target (in the configuration's order) that failed; 0 when none did. */
export function firstFailure(results: TargetResult<unknown>[]): number {
  const failed = results.find((result) => !result.ok);
  return failed && !failed.ok ? failed.exitCode : ExitCode.ok;
}

/** "[eu-west] wave 1": how a target's section starts in text output. */
export function targetHeading(entry: TargetEntry): string {
  return `[${entry.target.name}] wave ${entry.wave}`;
}

/** One target's block of the text: its heading, then the rendering a single-cluster command prints. */
export function section<T>(result: TargetResult<T>, render: (value: T) => string): string {
  const heading = targetHeading(result.entry);
  if (!result.ok) return `${heading}: ${result.unreachable ? "UNREACHABLE" : "FAILED"} — ${result.message}`;
  return `${heading}\n${render(result.value)}`;
}

/** A failed target in a result's `targets` map. */
export function failedFields(result: TargetResult<unknown> & { ok: false }) {
  return { wave: result.entry.wave, unreachable: result.unreachable, error: result.message, exitCode: result.exitCode };
}

/** A failed target's line on stderr (json: a `target-failed` event with its `target`). */
export function reportFailed(result: TargetResult<unknown> & { ok: false }): void {
  result.entry.ctx.reporter.event(
    "target-failed",
    failedFields(result),
    `${result.unreachable ? "unreachable" : "failed"}: ${result.message}`,
    "warn",
  );
}

/** The names of the failed targets, and of those among them that did not answer. */
export function failedNames(results: TargetResult<unknown>[]): { failed?: string[]; unreachable?: string[] } {
  const failed = results.flatMap((result) => (result.ok ? [] : [result]));
  if (failed.length === 0) return {};
  const unreachable = failed.filter((result) => result.unreachable).map((result) => result.entry.target.name);
  return {
    failed: failed.map((result) => result.entry.target.name),
    ...(unreachable.length > 0 ? { unreachable } : {}),
  };
}
