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

export interface Session {
  rollout: RolloutContext;
  lease: Lease;
  abort: AbortController;
}

export async function openSession(cmd: CommandContext, config: Config): Promise<Session> {
  const { ctx, lease, abort } = sessionFor(cmd, config, {
    interrupt: (reason) => new Interrupted(String((reason as Error)?.message ?? "interrupted")),
  });
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
  return { rollout: ctx, lease, abort };
}
