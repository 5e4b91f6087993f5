// `grayctl plan` / `rollout --dry-run`: what a rollout would do now. The
// rollout's own procedures run against a cluster whose transport answers
// writes itself (kube/dry-run-http.ts), so the objects shown are the ones the
// rollout code would send, and nothing is written. Waits are not run: the plan
// shows the writes of the first step and of the promotion, and the steps'
// replica counts and weights from the router (decision 024).
import type { V1Deployment } from "@kubernetes/client-node";
import type { DryRunHttp, RecordedWrite } from "../kube/dry-run-http.ts";
import { names } from "../kube/names.ts";
import type { RolloutContext } from "../rollout/context.ts";
import { checkAdoption } from "../rollout/adoption.ts";
import { ensureCanary, setStable } from "../rollout/deployments.ts";
import { imageOf, stableDeployment } from "../rollout/manifests.ts";
import { stepsOf } from "../rollout/plan.ts";
import { ensureServices, retreat } from "../rollout/procedures.ts";
import { stableRunsTemplate } from "../rollout/release-changes.ts";
import { desiredRelease, desiredTemplate, loadTemplate } from "../rollout/templates.ts";
import { planTracks, scaleCanary, stableAutoscaler } from "../rollout/track-sizes.ts";
import { followRecordedPlan } from "../model/follow-plan.ts";
import { IN_FLIGHT, nextRevision } from "../model/state.ts";
import { type ObjectChange, objectChanges } from "./plan-diff.ts";

export type PlanKind = "first-deploy" | "canary" | "unchanged" | "resume" | "refused";

export interface PlannedStep {
  step: number;
  weight: number;
  canaryReplicas: number;
  stableReplicas: number;
  effectiveWeight: number;
  pause?: number | "manual";
}

export interface PlanPhase {
  /** "deploy" (first deploy); "first step", "later steps" and "promotion" (canary), each diffed against the one before. */
  phase: string;
  changes: ObjectChange[];
}

export interface RolloutPlan {
  kind: PlanKind;
  why: string;
  revision?: number;
  stableImage?: string;
  steps: PlannedStep[];
  phases: PlanPhase[];
}

export async function planRollout(
  ctx: RolloutContext,
  dry: DryRunHttp,
  image: string,
  options: { supersede?: boolean } = {},
): Promise<RolloutPlan> {
  const { config } = ctx;
  const n = names(config.app);
  // What rollout refuses before it writes anything (another app's objects under these names…), the plan refuses too: exit 2.
  await Promise.all([checkAdoption(ctx), ctx.router.check?.()]);
  const stored = await ctx.store.read();
  const current = stored.state;
  const stable = await ctx.cluster.getDeployment(n.stable);
  const stableImage = imageOf(stable, config.app);
  // `rollout` of the image in flight continues it: with its recorded steps (decision 025).
  const follows =
    current?.image === image
      ? { ...ctx, config: followRecordedPlan(config, current, (text) => ctx.reporter.warn(text)) }
      : ctx;
  const steps = await plannedSteps(follows, stable?.spec?.replicas);
  const revision = nextRevision(stored.history, stored.state);
  const base = { stableImage, steps };
  if (current && IN_FLIGHT.has(current.phase)) {
    const where = `a rollout of ${current.image} is ${current.phase} at step ${current.stepIndex + 1} (${current.weight}% to canary)`;
    if (current.image === image)
      return { ...base, kind: "resume", why: `${where}: \`grayctl rollout\` resumes it from that step`, phases: [] };
    if (!options.supersede)
      return {
        ...base,
        kind: "refused",
        why: `${where}: \`grayctl rollout\` refuses another image without --supersede (exit 2)`,
        phases: [],
      };
  }
  // A release is the image, the template and what it refers to (decision 031), as rollout decides it.
  if (
    stable &&
    stableImage === image &&
    stableRunsTemplate(stable, (await desiredRelease(ctx, stable, image)).template)
  )
    return { ...base, kind: "unchanged", why: `${config.app} already runs ${image}: nothing to do`, phases: [] };
  const supersedes =
    current && IN_FLIGHT.has(current.phase) ? `; first the rollout of ${current.image} is rolled back` : "";
  if (!stable) {
    const phase = await recorded(dry, "deploy", async () => {
      await ensureServices(ctx);
      await ctx.cluster.createDeployment(stableDeployment(config, image, await loadTemplate(ctx)));
      await ctx.router.prepare();
    });
    return {
      ...base,
      kind: "first-deploy",
      revision,
      why: `nothing is deployed: ${image} goes straight to stable (revision ${revision})${supersedes}`,
      phases: [phase],
    };
  }
  return {
    ...base,
    kind: "canary",
    revision,
    why: `a canary of ${image} (revision ${revision}) through ${steps.map((s) => `${s.weight}%`).join(" → ")}; stable runs ${stableImage}${supersedes}`,
    phases: await canaryPhases(ctx, dry, stable, image),
  };
}

async function canaryPhases(ctx: RolloutContext, dry: DryRunHttp, stable: V1Deployment, image: string) {
  const { config } = ctx;
  const sizing = { stableReplicas: stable.spec?.replicas };
  const template = await desiredTemplate(ctx, stable, image);
  const [first, ...rest] = stepsOf(config);
  // The engine's begin and its first step, in its order (engine.ts, steps.ts).
  const start = await recorded(dry, "first step", async () => {
    await ensureServices(ctx);
    await ctx.router.prepare();
    const tracks = await planTracks(ctx, sizing, first.weight);
    await ensureCanary(ctx, stable, image, tracks.canary, template);
    await scaleCanary(ctx, tracks);
    await ctx.router.setCanaryWeight(first.weight);
  });
  // steps.ts: each later step scales the canary to its share, then sets its weight.
  const later = await recorded(dry, "later steps", async () => {
    for (const step of rest) {
      await scaleCanary(ctx, await planTracks(ctx, sizing, step.weight));
      await ctx.router.setCanaryWeight(step.weight);
    }
  });
  // procedures.ts promote(): canary carries everything, stable replaced, traffic back, canary to 0.
  const promotion = await recorded(dry, "promotion", async () => {
    await scaleCanary(ctx, await planTracks(ctx, sizing, 100));
    await ctx.router.setCanaryWeight(100);
    const replicas = (await stableAutoscaler(ctx)) ? undefined : config.deployment.replicas;
    await setStable(ctx, { image, template }, replicas);
    await retreat(ctx);
  });
  return [start, later, promotion];
}

async function recorded(dry: DryRunHttp, phase: string, work: () => Promise<void>): Promise<PlanPhase> {
  const from = dry.writes.length;
  await work();
  return { phase, changes: objectChanges(dry.writes.slice(from) as RecordedWrite[]) };
}

/** Replicas per track for every step, sized from stable's replicas now, as the steps size them. */
function plannedSteps(ctx: RolloutContext, stableReplicas: number | undefined): Promise<PlannedStep[]> {
  return Promise.all(
    stepsOf(ctx.config).map(async (step, index) => {
      const replicas = await planTracks(ctx, { stableReplicas }, step.weight);
      return {
        step: index + 1,
        weight: step.weight,
        canaryReplicas: replicas.canary,
        stableReplicas: replicas.stable,
        effectiveWeight: replicas.effectiveWeight,
        pause: step.pause,
      };
    }),
  );
}
