// Builds an operate session from a command's flags and environment (the only
// place the operate core meets the CLI's context).
import type { HttpLibrary } from "@kubernetes/client-node";
import type { CommandContext } from "../cli/context.ts";
import { actorFrom, ownerId } from "../cli/shared/actor.ts";
import { localProcesses } from "../cli/shared/local-processes.ts";
import { clockFor, timeoutsFor } from "../cli/shared/test-hooks.ts";
import type { Config } from "../config/schema.ts";
import { type OperateSession, openOperateSession } from "./session.ts";

export function sessionFor(
  ctx: CommandContext,
  config: Config,
  engine?: {
    /** What the user's SIGINT/SIGTERM aborts the session with. */
    interrupt: (reason: unknown) => unknown;
  },
  wrapHttp?: (http: HttpLibrary) => HttpLibrary,
): OperateSession {
  const actor = actorFrom(ctx.env, ctx.globals.actor);
  const owner = ownerId(actor, process.pid);
  return openOperateSession(config, {
    kubeconfig: ctx.globals.kubeconfig,
    context: ctx.globals.context,
    env: ctx.env,
    reporter: ctx.reporter,
    actor,
    owner,
    // The API side (its audit log, the test campaigns) tells grayctl processes apart by this.
    userAgent: `grayctl (${owner})`,
    ...timeoutsFor(ctx.env),
    processes: localProcesses(process.pid),
    clock: clockFor(ctx.env),
    signal: ctx.signal,
    // The engine's requests stop on the user's signal: its next one is the route to stable.
    interrupt: engine?.interrupt,
    cancelRequests: engine !== undefined,
    uninterruptible: ctx.uninterruptible,
    wrapHttp,
  });
}
