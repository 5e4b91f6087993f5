// How many pods each track gets (decision 015). Stable's replica count is the
// cluster's, not the configuration's: an autoscaler may have taken a 4-replica
// Deployment to 20. The canary gets its share of what stable actually runs —
// never less than stable ran when the rollout started, so an autoscaler that
// shrinks stable as traffic leaves it does not shrink the canary that took the
// traffic — and stable is never scaled by grayctl while an autoscaler owns it.
// With deployment.canaryAutoscaler the canary gets an autoscaler of its own,
// copied from stable's, whose floor is the canary's share.
import type { V2HorizontalPodAutoscaler } from "@kubernetes/client-node";
import { applyAutoscaler, autoscalerOf, deleteAutoscaler, getAutoscaler } from "../kube/autoscalers.ts";
import { describeApiError } from "../kube/errors.ts";
import { MANAGED_BY, names, trackLabels } from "../kube/names.ts";
import type { ReplicaPlan } from "../routers/types.ts";
import type { RolloutContext } from "./context.ts";
import type { RolloutState } from "../model/state.ts";

/** The stable pod count to size the canary from. The replicas router splits by the pods there are now. */
export function stableCapacity(router: string, atStart: number | undefined, now: number): number {
  return Math.max(1, router === "replicas" ? now : Math.max(atStart ?? 0, now));
}

/** Replicas per track for `weight`, from stable's actual replicas. */
export async function planTracks(
  ctx: RolloutContext,
  state: Pick<RolloutState, "stableReplicas">,
  weight: number,
): Promise<ReplicaPlan> {
  const stable = await ctx.cluster.getDeployment(names(ctx.config.app).stable);
  const now = stable?.spec?.replicas ?? ctx.config.deployment.replicas;
  return ctx.router.replicas(weight, stableCapacity(ctx.router.name, state.stableReplicas, now));
}

/**
 * Stable's autoscaler, or undefined. A Role from before grayctl read
 * autoscalers (403) is not a reason to fail a rollout: said, and taken as none.
 */
export async function stableAutoscaler(ctx: RolloutContext): Promise<V2HorizontalPodAutoscaler | undefined> {
  try {
    return await autoscalerOf(ctx.cluster, names(ctx.config.app).stable);
  } catch (error) {
    if (describeApiError(error).code !== 403) throw error;
    ctx.reporter.warn(
      "cannot list HorizontalPodAutoscalers (forbidden): treating stable as not autoscaled; apply templates/rbac.yaml again to grant it",
    );
    return undefined;
  }
}

/** The canary's autoscaler: stable's spec aimed at the canary, its floor the canary's share. */
export function canaryAutoscalerFor(
  stable: V2HorizontalPodAutoscaler,
  app: string,
  share: number,
): V2HorizontalPodAutoscaler {
  const spec = structuredClone(stable.spec!);
  spec.scaleTargetRef = { apiVersion: "apps/v1", kind: "Deployment", name: names(app).canary };
  spec.minReplicas = Math.max(1, share);
  spec.maxReplicas = Math.max(spec.minReplicas, spec.maxReplicas);
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: {
      name: names(app).canary,
      namespace: stable.metadata?.namespace,
      labels: { ...trackLabels(app, "canary"), ...MANAGED_BY },
    },
    spec,
  };
}

/**
 * Scales the canary to its share. With deployment.canaryAutoscaler and an
 * autoscaler on stable, the canary's autoscaler is set first (floor = share),
 * and a canary it already scaled above the share is left there.
 */
export async function scaleCanary(ctx: RolloutContext, plan: ReplicaPlan): Promise<void> {
  const n = names(ctx.config.app);
  if (ctx.config.deployment.canaryAutoscaler && plan.canary > 0) {
    const stable = await stableAutoscaler(ctx);
    if (stable) {
      await applyAutoscaler(ctx.cluster, canaryAutoscalerFor(stable, ctx.config.app, plan.canary));
      const canary = await ctx.cluster.getDeployment(n.canary);
      if ((canary?.spec?.replicas ?? 0) >= plan.canary) return;
    }
  }
  await ctx.cluster.scaleDeployment(n.canary, plan.canary);
}

/** Deletes the canary's autoscaler (only one grayctl made), so that it cannot scale a retired canary back up. */
export async function removeCanaryAutoscaler(ctx: RolloutContext): Promise<void> {
  if (!ctx.config.deployment.canaryAutoscaler) return;
  const name = names(ctx.config.app).canary;
  const existing = await getAutoscaler(ctx.cluster, name);
  if (existing?.metadata?.labels?.["app.kubernetes.io/managed-by"] !== MANAGED_BY["app.kubernetes.io/managed-by"])
    return;
  await deleteAutoscaler(ctx.cluster, name);
}
