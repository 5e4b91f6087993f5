// `grayctl rollback` when the state ConfigMap cannot be read (hand-edited, or
// written by a newer grayctl): the incident command still works, from the
// cluster's objects alone — all traffic to stable, the canary to 0 — under the
// app's Lease, and writes nothing to the record it cannot read (decision 018).
// Stable keeps the image it runs: which release came before is in the record.
import { ExitCode, UsageError } from "../errors.ts";
import { isNotFound } from "../kube/errors.ts";
import { names } from "../kube/names.ts";
import type { StateUnreadableError } from "../kube/state-codec.ts";
import { imageOf } from "../rollout/manifests.ts";
import { durationsOf } from "../rollout/plan.ts";
import { ensureStableCarries, stableCannotCarry } from "../rollout/stable-health.ts";
import { audit } from "./audit.ts";
import type { Outcome, RollbackRequest } from "./rollback-request.ts";
import type { OperateSession } from "./session.ts";

export async function rollbackFromObjects(
  session: OperateSession,
  request: RollbackRequest,
  unreadable: StateUnreadableError,
  withLease: (act: () => Promise<Outcome>) => Promise<Outcome>,
): Promise<Outcome> {
  const { ctx } = session;
  const { app, namespace } = ctx.config;
  if (request.toRevision !== undefined)
    throw new UsageError(
      `--to-revision needs the release history, which cannot be read: ${unreadable.message}`,
      unreadable.hint,
    );
  ctx.reporter.warn(`${unreadable.message}; rolling back from the cluster's objects alone`);
  return withLease(async () => {
    const n = names(app);
    const deadline = ctx.clock.now() + durationsOf(ctx.config).progressDeadlineMs;
    // The record would say which image stable ran; without it a deleted stable cannot be recreated.
    const carries = await ensureStableCarries(ctx, undefined, deadline);
    if (!carries.ok) throw stableCannotCarry(ctx, carries.reason);
    const weight = await ctx.router.currentCanaryWeight().catch(() => undefined);
    try {
      await ctx.router.setCanaryWeight(0);
    } catch (error) {
      // No canary routing object: no canary traffic to take away.
      if (!isNotFound(error)) throw error;
    }
    await request.onStable?.();
    const canary = await ctx.cluster.getDeployment(n.canary);
    const canaryReplicas = canary?.spec?.replicas ?? 0;
    if (canaryReplicas > 0) await ctx.cluster.scaleDeployment(n.canary, 0);
    const stableImage = imageOf(await ctx.cluster.getDeployment(n.stable), app);
    const action = `sent all traffic to stable (${stableImage}) and scaled ${n.canary} to 0 from the cluster's objects; the rollout state could not be read`;
    await audit(ctx, {
      reason: request.mode === "abort" ? "Aborted" : "RolledBack",
      action,
      why: request.reason,
      warning: true,
    });
    if (unreadable.hint) ctx.reporter.warn(`to repair the record:\n${unreadable.hint}`);
    return {
      outcome: "rolled-back",
      // What was asked was done: traffic is on stable (decision 003).
      exitCode: ExitCode.ok,
      message: `traffic is 100% on stable (${stableImage}; canary weight was ${weight ?? "unknown"}%), canary ${n.canary} scaled from ${canaryReplicas} to 0. Nothing was recorded: ConfigMap ${n.state} in namespace ${namespace} cannot be read; stable keeps the image it runs`,
      fields: {
        app,
        namespace,
        stableImage,
        stateUnreadable: unreadable.message,
        actor: ctx.actor,
        reason: request.reason,
      },
    };
  });
}
