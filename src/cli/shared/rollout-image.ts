// The rollout of one image in one cluster (the app's Lease, the engine, the
// audit Event), shared by `grayctl rollout` and each target of a release in
// waves (rollout-waves.ts): the command files import it, never each other.
import type { Config } from "../../config/schema.ts";
import type { AuditReason } from "../../kube/events.ts";
import type { Outcome } from "../../rollout/context.ts";
import { checkRequest, runRollout } from "../../rollout/engine.ts";
import type { CommandContext } from "../context.ts";

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
