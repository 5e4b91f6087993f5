// `grayctl rollout [--image REF]`: without --image, builds (or reuses) the
// image for HEAD first; then takes the app's Lease and runs the engine.
import { requirePinValue } from "../../config/load.ts";
import type { Config } from "../../config/schema.ts";
import { ExitCode } from "../../errors.ts";
import type { Outcome } from "../../rollout/context.ts";
import { checkRequest, runRollout } from "../../rollout/engine.ts";
import type { AuditReason } from "../../kube/events.ts";
import type { CommandContext } from "../context.ts";
import { headImageSettings } from "../shared/image-settings.ts";

export interface RolloutOptions {
  image?: string;
  supersede?: boolean;
  force?: boolean;
  dryRun?: boolean;
}

const AUDIT: Partial<Record<string, { reason: AuditReason; warning?: boolean }>> = {
  deployed: { reason: "Deployed" },
  promoted: { reason: "Promoted" },
  "rolled-back": { reason: "RolledBack", warning: true },
  paused: { reason: "Paused" },
  interrupted: { reason: "Interrupted", warning: true },
};

export async function rolloutCommand(ctx: CommandContext, options: RolloutOptions): Promise<number> {
  if (options.dryRun) {
    // Before anything else: no build, no push, no Lease.
    const { planCommand } = await import("./plan.ts");
    return planCommand(ctx, { image: options.image, supersede: options.supersede });
  }
  const { config, targets } = await ctx.loadConfig();
  // A rollout routes with the pin: without its secret it would have none (rollback and the rest do not need it).
  requirePinValue(config);
  let image: string;
  let commit: string | undefined;
  if (options.image) {
    const { resolveImageDigest } = await import("../../build/resolve-digest.ts");
    image = await resolveImageDigest(options.image, { env: ctx.env, reporter: ctx.reporter, signal: ctx.signal });
  } else {
    const { buildOrReuseImage } = await import("../../build/index.ts");
    const built = await buildOrReuseImage(headImageSettings(config, ctx.cwd), {
      cwd: ctx.cwd,
      env: ctx.env,
      reporter: ctx.reporter,
      signal: ctx.signal,
    });
    image = built.image;
    commit = built.revision.commit;
  }
  if (targets) {
    // issue 22: the image built (or resolved) once above goes to every target, wave by wave.
    const { releaseCommand } = await import("./rollout-waves.ts");
    return releaseCommand(ctx, config, targets, { ...options, image, commit });
  }
  const outcome = await rolloutImage(ctx, config, { ...options, image, commit });
  ctx.reporter.result(outcome.outcome, outcome.fields, outcome.message);
  return outcome.exitCode;
}

/** The rollout of `image` in the cluster `ctx` names: the app's Lease, the engine, the audit Event. */
export async function rolloutImage(
  ctx: CommandContext,
  config: Config,
  options: RolloutOptions & { image: string; commit?: string },
): Promise<Outcome> {
  const { image, commit } = options;
  const { openSession } = await import("../shared/session.ts");
  const session = await openSession(ctx, config, { image });
  const [{ audit }, { withLease }] = await Promise.all([
    import("../../operate/audit.ts"),
    import("../../operate/lease-hold.ts"),
  ]);
  const request = { image, commit, supersede: options.supersede };
  // A request that cannot run is refused before the Lease is taken: even with --force it changes nothing.
  await checkRequest(session.rollout, request);
  const holder = { lease: session.lease, abort: session.abort, reporter: ctx.reporter };
  let outcome: Outcome;
  try {
    outcome = await withLease(holder, Boolean(options.force), async () => {
      const ended = await runRollout(session.rollout, request);
      const event = AUDIT[ended.outcome];
      // The Event is the audit trail on the stable Deployment (kubectl describe shows it); a process that lost the rollout writes nothing.
      if (event && !session.lease.fence.lost) {
        await audit(session.rollout, {
          ...event,
          action: `${ended.outcome} ${image}`,
          why: ended.fields.reason as string | undefined,
        });
      }
      return ended;
    });
  } finally {
    // After the Lease is released (a slow webhook never holds the app's lock), before the result (the last line).
    await session.rollout.lifecycle?.settle();
  }
  return outcome;
}

export { ExitCode };
