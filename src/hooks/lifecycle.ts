// hooks and notify together, as the engine sees them (types.ts: Lifecycle).
// preRollout runs before a new rollout's first write for the app; a promotion
// or a rollback runs its hooks after the fact, and their failures are reported
// without changing the outcome (docs/decisions/023-hooks-and-notifications.md).
import type { Config } from "../config/schema.ts";
import type { Clock } from "../kube/clock.ts";
import type { Reporter } from "../output/types.ts";
import { Notifier } from "./notify.ts";
import { runHooks } from "./run-hooks.ts";
import type { HookReport, Lifecycle, RunInfo, Transition } from "./types.ts";

export interface LifecycleDeps {
  cwd: string;
  env: Record<string, string | undefined>;
  clock: Clock;
  reporter: Reporter;
  redact<T>(value: T): T;
  actor: string;
  signal?: AbortSignal;
  /** false: notifications only (`grayctl rollback`/`abort`, run by people, run no hooks). */
  hooks?: boolean;
}

export function createLifecycle(config: Config, deps: LifecycleDeps): Lifecycle {
  const notifier = new Notifier(config.notify, {
    clock: deps.clock,
    redact: deps.redact,
    warn: (message) => deps.reporter.warn(message),
    actor: deps.actor,
    env: deps.env,
  });
  const mask = (text: string) => deps.redact(text);
  const hookDeps = { cwd: deps.cwd, env: deps.env, signal: deps.signal, redact: mask };
  const report = (reports: HookReport[]) => {
    for (const r of reports) {
      deps.reporter.event(
        "hook",
        { ...r },
        // A failure is said once: in the warning below, or (preRollout) in the result.
        r.ok ? `  hook ${r.phase} "${r.hook}": passed` : undefined,
      );
    }
  };
  return {
    async beforeStart(run: RunInfo) {
      if (config.hooks.preRollout.length === 0) return undefined;
      const reports = await runHooks("preRollout", config.hooks.preRollout, run, hookDeps, true);
      report(reports);
      const failed = reports.find((r) => !r.ok);
      return failed && `preRollout hook "${failed.hook}" failed: ${failed.detail}`;
    },
    async transition(kind: Transition, run: RunInfo) {
      notifier.send(kind, run);
      const hooks =
        deps.hooks === false
          ? []
          : kind === "promoted"
            ? config.hooks.postPromotion
            : kind === "rolled-back"
              ? config.hooks.onRollback
              : [];
      if (hooks.length === 0) return [];
      const phase = kind === "promoted" ? "postPromotion" : "onRollback";
      // The signal may be the user's cancellation: an onRollback hook after a cancelled rollout still runs.
      const reports = await runHooks(phase, hooks, run, { cwd: deps.cwd, env: deps.env, redact: mask }, false);
      report(reports);
      for (const r of reports.filter((x) => !x.ok))
        deps.reporter.warn(`${phase} hook "${r.hook}" failed (the outcome stands): ${r.detail}`);
      return reports;
    },
    settle: () => notifier.settle(),
  };
}
