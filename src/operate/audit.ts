// Records an operate action as a Kubernetes Event (best effort: warns on failure).
import { type AuditReason, recordAuditEvent } from "../kube/events.ts";
import type { RolloutContext } from "../rollout/context.ts";

export async function audit(
  ctx: RolloutContext,
  event: { reason: AuditReason; action: string; why?: string; warning?: boolean },
): Promise<void> {
  const warning = await recordAuditEvent(
    ctx.cluster,
    { ...event, app: ctx.config.app, actor: ctx.actor, owner: ctx.owner },
    new Date(ctx.clock.now()),
  );
  if (warning) ctx.reporter.warn(warning);
}
