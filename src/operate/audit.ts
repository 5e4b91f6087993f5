// Records an operate action as a Kubernetes Event (best effort: warns on failure).
import { type AuditReason, recordAuditEvent } from "../kube/events.ts";
import type { RolloutContext } from "../rollout/context.ts";

export async function audit(
  ctx: RolloutContext,
  event: { reason: AuditReason; action: string; why?: string; warning?: boolean },
): Promise<void> {
  // Recorded even after a cancellation: the Event says how the rollout ended.
  const warning = await recordAuditEvent(
    ctx.cluster.withSignal(undefined),
    { ...event, app: ctx.config.app, actor: ctx.actor, owner: ctx.owner },
    new Date(ctx.clock.now()),
  );
  if (warning) ctx.reporter.warn(warning);
}
