// Builds an operate session from a command's flags and environment (the only
// place the operate core meets the CLI's context; it lives with the CLI so that
// operate/ never imports upwards).
import type { HttpLibrary } from "@kubernetes/client-node";
import type { Config } from "../../config/schema.ts";
import { type OperateSession, openOperateSession } from "../../operate/session.ts";
import type { CommandContext } from "../context.ts";
import { actorFrom, ciJob, ownerId } from "./actor.ts";
import { localProcesses } from "./local-processes.ts";
import { clockFor, serviceAccountDirFor, timeoutsFor } from "./test-hooks.ts";

export function sessionFor(
  ctx: CommandContext,
  config: Config,
  engine?: {
    /** What the user's SIGINT/SIGTERM aborts the session with. */
    interrupt: (reason: unknown) => unknown;
  },
  wrapHttp?: (http: HttpLibrary) => HttpLibrary,
  lease: { graceMs?: number; name?: string } = {},
): OperateSession {
  const actor = actorFrom(ctx.env, ctx.globals.actor);
  const owner = ownerId(actor, process.pid);
  return openOperateSession(config, {
    kubeconfig: ctx.globals.kubeconfig,
    serviceAccountDir: serviceAccountDirFor(ctx.env),
    context: ctx.globals.context,
    env: ctx.env,
    reporter: ctx.reporter,
    actor,
    owner,
    job: ciJob(ctx.env),
    // The API side (its audit log, the test campaigns) tells grayctl processes apart by this.
    userAgent: `grayctl (${owner})`,
    ...timeoutsFor(ctx.env),
    processes: localProcesses(process.pid),
    leaseGraceMs: lease.graceMs,
    leaseName: lease.name,
    clock: clockFor(ctx.env),
    signal: ctx.signal,
    // The engine's requests stop on the user's signal: its next one is the route to stable.
    interrupt: engine?.interrupt,
    cancelRequests: engine !== undefined,
    uninterruptible: ctx.uninterruptible,
    wrapHttp,
  });
}
