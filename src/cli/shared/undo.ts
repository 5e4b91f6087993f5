// One cluster's rollback or abort, shared by `grayctl rollback`, `abort` and
// `rollback --all` (once per target): the command files import it, never each
// other.
import { UsageError } from "../../errors.ts";
import type { CommandContext } from "../context.ts";
import { hintAtTargets } from "./all-targets.ts";

export interface UndoRequest {
  mode: "rollback" | "abort";
  toRevision?: number;
  wait: boolean;
  force: boolean;
  reason?: string;
}

/** What `rollback --all` hooks into one target's rollback. */
export interface UndoHooks {
  /** Awaited right after traffic is 100 % on stable, before any other write (the barrier of rollback --all). */
  afterStable?: () => Promise<void>;
  /** The rollback's outcome, and when its traffic reached stable (ms since this process started). */
  ended?: (outcome: string, exitCode: number, stableAfterMs: number | undefined, message: string) => void;
}

/** Shared by rollback, abort and rollback --all (once per target). */
export async function runUndo(ctx: CommandContext, request: UndoRequest, hooks: UndoHooks = {}): Promise<number> {
  if (request.reason !== undefined && request.reason.trim() === "") throw new UsageError("--reason: must not be empty");
  // Start loading the Kubernetes client (the slowest import) while the configuration is read.
  const modules = Promise.all([import("../shared/operate-session.ts"), import("../../operate/rollback.ts")]);
  const { config } = await ctx.loadConfig();
  if (!hooks.afterStable) await hintAtTargets(ctx, request.mode);
  ctx.reporter.debug(`configuration loaded at ${Math.round(performance.now())} ms`);
  const [{ sessionFor }, { rollbackRelease }] = await modules;
  ctx.reporter.debug(`Kubernetes client loaded at ${Math.round(performance.now())} ms`);
  const session = sessionFor(ctx, config);
  let stableAfterMs: number | undefined;
  const outcome = await rollbackRelease(session, {
    ...request,
    // Milliseconds since this process started: the figure an on-call engineer cares about.
    onStable: (landedAtMs) => {
      stableAfterMs = Math.round(landedAtMs ?? performance.now());
      // Said the moment the router write lands: what on-call waits for, before any scale-down or rollout wait.
      ctx.reporter.event(
        "traffic-on-stable",
        { app: config.app, namespace: config.namespace, afterMs: stableAfterMs },
        `traffic is 100% on stable (${stableAfterMs} ms after start)`,
      );
      return hooks.afterStable?.();
    },
  });
  // After the rollback, before the result line: the webhooks hear of it (each within its deadline).
  if (outcome.outcome === "rolled-back" && config.notify.length > 0) {
    const { createLifecycle } = await import("../../hooks/lifecycle.ts");
    const fields = outcome.fields as { image?: string; revision?: number; reason?: string };
    const lifecycle = createLifecycle(config, {
      cwd: ctx.cwd,
      env: ctx.env,
      clock: session.ctx.clock,
      reporter: ctx.reporter,
      redact: (value) => ctx.reporter.redactor.value(value),
      actor: session.ctx.actor,
      hooks: false,
    });
    await lifecycle.transition("rolled-back", {
      app: config.app,
      namespace: config.namespace,
      image: fields.image ?? "",
      revision: fields.revision,
      outcome: "rolled-back",
      reason: fields.reason,
      message: outcome.message,
    });
    await lifecycle.settle();
  }
  // exitCode: a rolled-back result with exit 0 is shown and annotated as done, not as a failure.
  ctx.reporter.result(
    outcome.outcome,
    { ...outcome.fields, stableAfterMs, exitCode: outcome.exitCode },
    outcome.message,
  );
  hooks.ended?.(outcome.outcome, outcome.exitCode, stableAfterMs, outcome.message);
  return outcome.exitCode;
}
