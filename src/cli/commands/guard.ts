// `grayctl guard [--watch]`: one pass (or one every --interval) over every
// grayctl app in the namespace; an orphaned rollout gets its recorded
// `onOrphan` policy (operate/guard.ts, decision 041). No grayctl.yaml: each
// app's configuration is rebuilt from what its rollout recorded (plan and
// setup); the notification targets are the guard's own (--notify,
// $GRAYCTL_GUARD_NOTIFY), since no URL with a token is ever recorded.
import { parseDuration } from "../../config/duration.ts";
import { ExitCode, UsageError } from "../../errors.ts";
import type { CommandContext } from "../context.ts";
import { namespaceOf } from "../shared/guard-record.ts";

export interface GuardOptions {
  grace: string;
  notify: string[];
  watch: boolean;
  interval: string;
}

export async function guardCommand(ctx: CommandContext, options: GuardOptions): Promise<number> {
  const graceMs = durationFlag("--grace", options.grace);
  const intervalMs = durationFlag("--interval", options.interval);
  const targets = notifyTargets(ctx, options.notify);
  const namespace = await namespaceOf(ctx);
  const { runGuardPass } = await import("../shared/guard-pass.ts");
  let exitCode: number = ExitCode.ok;
  // A pass is never cut short by the first SIGTERM (a pod being replaced): a rollback it started
  // finishes, then the guard exits; a second signal stops it at once (the launcher).
  const passCtx: CommandContext = { ...ctx, signal: new AbortController().signal };
  for (;;) {
    exitCode = await runGuardPass(passCtx, { namespace, graceMs, targets });
    if (!options.watch || ctx.signal.aborted) return exitCode;
    const { systemClock } = await import("../../kube/clock.ts");
    try {
      await systemClock.sleep(intervalMs, ctx.signal);
    } catch {
      return exitCode;
    }
  }
}

function durationFlag(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 0) throw new UsageError(`${flag}: "${text}" is not a duration (e.g. 10s, 1m)`);
  return ms;
}

/** --notify URL (repeatable) and $GRAYCTL_GUARD_NOTIFY (URLs separated by spaces or commas); each is a secret. */
function notifyTargets(ctx: CommandContext, flags: string[]): string[] {
  const fromEnv = (ctx.env.GRAYCTL_GUARD_NOTIFY ?? "").split(/[\s,]+/).filter(Boolean);
  const urls = [...flags, ...fromEnv];
  for (const url of urls) {
    ctx.reporter.redact(url);
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
      throw new UsageError("--notify / GRAYCTL_GUARD_NOTIFY: a target is not an http(s) URL (its value is not shown)");
  }
  return urls;
}
