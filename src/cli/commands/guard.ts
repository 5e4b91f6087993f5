// `grayctl guard [--watch]`: one pass (or one every --interval) over every
// grayctl app in the namespace; an orphaned rollout gets its recorded
// `onOrphan` policy (operate/guard.ts, decision 041). No grayctl.yaml: each
// app's configuration is rebuilt from what its rollout recorded (plan and
// setup); the notification targets are the guard's own (--notify,
// $GRAYCTL_GUARD_NOTIFY), since no URL with a token is ever recorded.
import { parseDuration } from "../../config/duration.ts";
import { type Config, configSchema } from "../../config/schema.ts";
import { ExitCode, UsageError } from "../../errors.ts";
import type { RolloutState } from "../../model/state.ts";
import type { CommandContext } from "../context.ts";

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

export async function namespaceOf(ctx: CommandContext): Promise<string> {
  if (ctx.globals.namespace) return ctx.globals.namespace;
  const [{ contextNamespace }, { serviceAccountDirFor }] = await Promise.all([
    import("../../kube/kubeconfig.ts"),
    import("../shared/test-hooks.ts"),
  ]);
  return (
    contextNamespace({
      kubeconfig: ctx.globals.kubeconfig,
      context: ctx.globals.context,
      env: ctx.env,
      serviceAccountDir: serviceAccountDirFor(ctx.env),
    }) ?? "default"
  );
}

/**
 * The configuration a continuation of this rollout would run with, from its record alone:
 * undefined for a record of an older grayctl that holds no plan or setup.
 */
export function configFromRecord(
  app: string,
  namespace: string,
  state: RolloutState,
  env: Record<string, string | undefined>,
  targets: string[],
  withPlan: (config: Config, plan: NonNullable<RolloutState["plan"]>) => Config,
): Config | undefined {
  const { setup, plan } = state;
  if (!setup || !plan) return undefined;
  const base = configSchema.parse({
    app,
    namespace,
    deployment: setup.deployment,
    traffic: setup.traffic,
    rollout: { leaseDuration: setup.leaseDuration, onOrphan: setup.onOrphan },
    notify: targets.map((url) => ({ url })),
  }) as Config;
  // The guard's own targets hear of what it did too (events no grayctl.yaml can list).
  const orphanEvents = ["orphan-rolled-back", "orphan-resumed", "orphan-held"];
  base.notify = base.notify.map((target) => ({ ...target, events: [...target.events, ...orphanEvents] as never }));
  const pin = base.traffic.pin;
  if (pin) {
    const value = env[pin.valueFrom.env];
    if (value) base.traffic.pin = { ...pin, value };
  }
  return withPlan(base, plan);
}
