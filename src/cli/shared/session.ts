// The session of commands that run the engine (rollout, promote, resume): the
// operate session plus the gates, with the user's SIGINT/SIGTERM turned into an
// Interrupted reason the engine acts on at a safe point.
import type { Config } from "../../config/schema.ts";
import type { Lease } from "../../kube/lease.ts";
import { sessionFor } from "./operate-session.ts";
import type { RolloutContext } from "../../rollout/context.ts";
import { Interrupted } from "../../rollout/engine.ts";
import { HealthGate } from "../../rollout/health-gate.ts";
import { durationsOf } from "../../rollout/plan.ts";
import type { CommandContext } from "../context.ts";
import { checkGates } from "./check-gates.ts";
import { metricGates } from "./metric-gates.ts";
import { createLifecycle } from "../../hooks/lifecycle.ts";
import { followRecordedPlan } from "../../model/follow-plan.ts";

export interface Session {
  rollout: RolloutContext;
  lease: Lease;
  abort: AbortController;
}

/**
 * `continuing`: what the command continues — the recorded rollout whatever its
 * image (promote, resume), or the recorded rollout only if it is of this image
 * (rollout). That rollout's recorded plan replaces the configured one, gates
 * included (decision 025); a new rollout follows the configuration.
 */
export async function openSession(
  cmd: CommandContext,
  loaded: Config,
  continuing: { image?: string } = {},
): Promise<Session> {
  const { ctx, lease, abort } = sessionFor(cmd, loaded, {
    interrupt: (reason) => new Interrupted(String((reason as Error)?.message ?? "interrupted")),
  });
  const { state } = await ctx.store.read();
  const config =
    continuing.image === undefined || state?.image === continuing.image
      ? followRecordedPlan(loaded, state, (text) => ctx.reporter.warn(text))
      : loaded;
  ctx.config = config;
  ctx.secrets = (await cmd.loadConfig()).secrets;
  ctx.onOutage = cmd.onOutage;
  await equipForEngine(cmd, ctx, config);
  return { rollout: ctx, lease, abort };
}

/** The gates and the lifecycle (hooks, notify) the engine runs with, from `config` and the command's environment. */
export async function equipForEngine(cmd: CommandContext, ctx: RolloutContext, config: Config): Promise<void> {
  ctx.gates = [
    new HealthGate(ctx.cluster, {
      path: config.analysis.healthz.path,
      port: config.deployment.port,
      timeoutMs: durationsOf(config).healthzTimeoutMs,
      concurrency: config.analysis.healthz.concurrency,
    }),
    ...(await metricGates(config, ctx.cluster, ctx.clock, cmd.env)),
    ...(await checkGates(config, {
      env: cmd.env,
      cwd: cmd.cwd,
      clock: ctx.clock,
      redact: (text) => cmd.reporter.redactor.text(text),
    })),
  ];
  ctx.lifecycle = createLifecycle(config, {
    cwd: cmd.cwd,
    env: cmd.env,
    clock: ctx.clock,
    reporter: ctx.reporter,
    redact: (value) => cmd.reporter.redactor.value(value),
    actor: ctx.actor,
    signal: ctx.signal,
  });
}
