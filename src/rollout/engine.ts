// `grayctl rollout`: decides from the recorded state whether this is a first
// deploy, a new canary, a resume or nothing to do, and runs it; every ending
// other than done (failed gate, deadline, interrupt, outage, takeover) is
// mapped to an outcome in endings.ts.
import { ExitCode, UsageError } from "../errors.ts";
import type { Outcome, RolloutContext, RolloutRequest } from "./context.ts";
import { checkAdoption } from "./adoption.ts";
import { ensureCanary } from "./deployments.ts";
import { imageOf } from "./manifests.ts";
import { names } from "../kube/names.ts";
import { endRun, Interrupted, notBegun, recordActiveTime, rolledBack, uncancelled } from "./endings.ts";
import { actAsOwner } from "./ownership.ts";
import { deadlineLeft, durationsOf, stepsOf } from "./plan.ts";
import { ensureServices, firstDeploy, promote, rollbackInFlight } from "./procedures.ts";
import { setupOf } from "../model/setup.ts";
import { planOf } from "../model/plan.ts";
import { freshState, IN_FLIGHT, nextRevision, type RolloutState, type StoredState } from "../model/state.ts";
import { canaryHeadline, firstDeployHeadline } from "./headline.ts";
import { runSteps } from "./steps.ts";
import { changesOf, describeChanges, stableRunsTemplate } from "./release-changes.ts";
import { desiredRelease } from "./templates.ts";
import { planTracks } from "./track-sizes.ts";
import { announced, preRollout, started } from "./transitions.ts";
import { DeadlineError } from "./wait.ts";

export { Interrupted };

export type { RolloutRequest } from "./context.ts";

/** Refuses a request that conflicts with the rollout in flight: before the Lease is taken, and again under it. */
export function refuseConflicting(current: RolloutState | undefined, request: RolloutRequest): void {
  if (!current || !IN_FLIGHT.has(current.phase) || current.image === request.image || request.supersede) return;
  throw new UsageError(
    `a rollout of ${current.image} is in flight (${current.phase}, step ${current.stepIndex + 1}, weight ${current.weight}%)`,
    "Pass --supersede to replace it with this image, finish it with `grayctl promote`, or undo it with `grayctl rollback`.",
  );
}

/** The request's checks against the recorded state, for the command to run before it takes the Lease. */
export async function checkRequest(ctx: RolloutContext, request: RolloutRequest): Promise<void> {
  // Sent together; the objects' owners are reported before what the router finds in them.
  const [stored, adoption, routing, references] = await Promise.allSettled([
    ctx.store.read(),
    checkAdoption(ctx),
    ctx.router.check?.(),
    // A required ConfigMap or Secret the template refers to that is missing: exit 2 before the Lease is taken.
    ctx.cluster
      .getDeployment(names(ctx.config.app).stable)
      .then((stable) => desiredRelease(ctx, stable, request.image)),
  ]);
  for (const settled of [stored, adoption, routing, references])
    if (settled.status === "rejected") throw settled.reason;
  refuseConflicting((stored as PromiseFulfilledResult<StoredState>).value.state, request);
}

export async function runRollout(ctx: RolloutContext, request: RolloutRequest): Promise<Outcome> {
  const runStartedAt = ctx.clock.now();
  let begun: Outcome | { drive: RolloutState };
  try {
    begun = await begin(ctx, request);
  } catch (error) {
    return announced(ctx, request.image, () => notBegun(ctx, request, error, runStartedAt));
  }
  if (!("drive" in begun)) return begun;
  const state = begun.drive;
  return announced(ctx, request.image, () => drive(ctx, state, runStartedAt, request));
}

/** Decides what this run is (resume, supersede, first deploy, canary, nothing) and makes its claim. */
async function begin(ctx: RolloutContext, request: RolloutRequest): Promise<Outcome | { drive: RolloutState }> {
  const { config } = ctx;
  const n = names(config.app);
  let stored = await ctx.store.read();
  const current = stored.state;
  let hooksRan = false;
  const fields = { app: config.app, namespace: config.namespace, image: request.image };

  if (current && IN_FLIGHT.has(current.phase)) {
    refuseConflicting(current, request);
    if (current.image !== request.image) {
      headline(ctx, current.previousImage, request.image);
      // Before the superseded rollout is undone: a failing preRollout leaves everything as it was.
      const stopped = await preRollout(ctx, request.image, nextRevision(stored.history, stored.state));
      if (stopped) return stopped;
      hooksRan = true;
      ctx.reporter.warn(`superseding the rollout of ${current.image}`);
      await take(ctx, current);
      await rollbackInFlight(ctx, current, `superseded by ${request.image}`);
      stored = await ctx.store.read();
    } else if (current.phase === "paused" && !request.continueFromPause) {
      return { ...paused(current, fields, "still paused"), quiet: true };
    } else {
      if (current.phase === "deploying") ctx.reporter.info(firstDeployHeadline(config, current.image));
      else if (current.phase === "progressing" || current.phase === "paused")
        headline(ctx, current.previousImage, current.image, current.stepIndex);
      return { drive: await take(ctx, current) };
    }
  }

  // Read after any rollback above: an interrupted promotion it undid put stable back on its previous image.
  const stable = await ctx.cluster.getDeployment(n.stable);
  const stableImage = stable && imageOf(stable, config.app);
  // A release is the image, the pod template and what it refers to (decision 031).
  const release = await desiredRelease(ctx, stable, request.image);
  if (stable && stableImage === request.image && stableRunsTemplate(stable, release.template)) {
    return {
      outcome: "unchanged",
      exitCode: ExitCode.ok,
      message: `${config.app} already runs ${request.image} with this pod template and the same referenced ConfigMaps and Secrets; nothing to do`,
      fields,
      quiet: true,
    };
  }
  if (!hooksRan) {
    if (stable) headline(ctx, stableImage, request.image);
    else ctx.reporter.info(firstDeployHeadline(config, request.image));
    const stopped = await preRollout(ctx, request.image, nextRevision(stored.history, stored.state));
    if (stopped) return stopped;
  }
  if (!stable) {
    const state = await start(ctx, request, {
      phase: "deploying",
      revision: nextRevision(stored.history, stored.state),
      configDigests: release.config.objects,
    });
    return { drive: state };
  }
  const state = await start(ctx, request, {
    phase: "progressing",
    revision: nextRevision(stored.history, stored.state),
    previousImage: stableImage,
    stableReplicas: stable.spec?.replicas,
    template: release.template,
    previousTemplate: stable.spec?.template,
    configDigests: release.config.objects,
    changes: changesOf(config.app, stored, stable, stableImage, request.image, release),
  });
  // The same image: say why this is a release at all.
  if (stableImage === request.image)
    ctx.reporter.info(`same image, changed ${describeChanges(state.changes ?? {})}: a release through the canary`);
  await ensureServices(ctx);
  await ctx.router.prepare();
  const first = await planTracks(ctx, state, stepsOf(config)[0].weight);
  await ensureCanary(ctx, stable, request.image, first.canary, state.template);
  return { drive: state };
}

/** The rollout's first line: what is about to happen, before anything changes (headline.ts). */
function headline(ctx: RolloutContext, stableImage: string | undefined, image: string, resumeAt?: number): void {
  const { config } = ctx;
  const text = canaryHeadline({
    config,
    steps: stepsOf(config),
    durations: durationsOf(config),
    gateNames: ctx.gates.map((gate) => gate.name),
    stableImage,
    image,
    resumeAt,
  });
  ctx.reporter.event(
    "rollout-plan",
    { app: config.app, namespace: config.namespace, stableImage, image, steps: stepsOf(config) },
    text,
  );
}

/** Claims ownership of a recorded rollout for this process. */
async function take(ctx: RolloutContext, state: RolloutState): Promise<RolloutState> {
  const written = await ctx.store.mutate((stored) => ({
    state: { ...(stored.state ?? state), owner: ctx.owner, actor: ctx.actor },
    history: stored.history,
  }));
  await actAsOwner(ctx);
  return written.state!;
}

async function start(
  ctx: RolloutContext,
  request: RolloutRequest,
  init: Pick<RolloutState, "phase" | "revision"> &
    Partial<
      Pick<
        RolloutState,
        "previousImage" | "stableReplicas" | "template" | "previousTemplate" | "changes" | "configDigests"
      >
    >,
) {
  const now = new Date(ctx.clock.now()).toISOString();
  const state = freshState(
    // The plan is recorded from the start: whoever continues this rollout follows it (decision 025).
    {
      ...init,
      image: request.image,
      commit: request.commit,
      actor: ctx.actor,
      owner: ctx.owner,
      plan: planOf(ctx.config, ctx.secrets),
      setup: setupOf(ctx.config),
    },
    now,
  );
  // Intent first: the record exists before anything in the cluster changes.
  const written = await ctx.store.mutate((stored) => ({ state, history: stored.history }));
  await actAsOwner(ctx);
  await started(ctx, request.image, state.revision);
  return written.state!;
}

/** A recorded step past the configured ones (steps removed, a hand edit) redoes the last step, never skips them all. */
function withinSteps(ctx: RolloutContext, state: RolloutState): RolloutState {
  const last = stepsOf(ctx.config).length - 1;
  if (state.stepIndex <= last) return state;
  ctx.reporter.warn(
    `the record is at step ${state.stepIndex + 1}, past the ${last + 1} configured steps: redoing step ${last + 1}`,
  );
  return { ...state, stepIndex: last };
}

function paused(state: RolloutState, fields: Record<string, unknown>, prefix: string): Outcome {
  return {
    outcome: "paused",
    exitCode: ExitCode.paused,
    message: `${prefix} at step ${state.stepIndex + 1} (${state.weight}% to canary ${state.image}); continue with \`grayctl promote\``,
    fields: { ...fields, step: state.stepIndex + 1, weight: state.weight },
  };
}

async function drive(
  ctx: RolloutContext,
  state: RolloutState,
  runStartedAt: number,
  request: RolloutRequest,
): Promise<Outcome> {
  const { progressDeadlineMs } = durationsOf(ctx.config);
  const deadline = runStartedAt + deadlineLeft(progressDeadlineMs, state.activeMs, runStartedAt, runStartedAt);
  const fields = { app: ctx.config.app, namespace: ctx.config.namespace, image: state.image, revision: state.revision };
  let closing = ctx;
  try {
    if (state.phase === "deploying") {
      const deployed = await firstDeploy(ctx, state, deadline);
      if (deployed.exitCode !== ExitCode.ok)
        throw new DeadlineError(`Deployment ${ctx.config.app}`, deployed.reason ?? "");
      return {
        outcome: "deployed",
        exitCode: ExitCode.ok,
        message: `deployed ${state.image} to ${ctx.config.app} (revision ${state.revision})`,
        fields,
      };
    }
    if (state.phase === "rolling-back") return await rolledBack(ctx, state, state.reason ?? "rollback resumed", fields);
    if (state.phase !== "promoting" && !request.skipSteps) {
      state = withinSteps(ctx, state);
      const from =
        state.phase === "paused" && request.continueFromPause ? { ...state, stepIndex: state.stepIndex + 1 } : state;
      const steps = await runSteps(ctx, from, deadline);
      if (steps.kind === "failed") return await rolledBack(ctx, state, steps.reason, fields);
      if (steps.kind === "paused")
        return paused(
          { ...state, stepIndex: steps.step, weight: stepsOf(ctx.config)[steps.step].weight },
          fields,
          "paused",
        );
    }
    const promoted = await promote(ctx, state, deadline);
    if (!promoted.ok) return await rolledBack(ctx, state, promoted.reason, fields);
    return {
      outcome: "promoted",
      exitCode: ExitCode.ok,
      message: `promoted ${state.image}: stable runs it, canary scaled to 0`,
      fields,
    };
  } catch (error) {
    const reason = ctx.signal.aborted ? ctx.signal.reason : error;
    // The user's cancellation stopped this context's requests; what follows goes through a fresh one.
    if (ctx.signal.aborted) closing = uncancelled(ctx);
    return await endRun(closing, state, reason, error, { fields, deadline });
  } finally {
    await recordActiveTime(closing, runStartedAt);
  }
}
