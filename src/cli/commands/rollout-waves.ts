// `grayctl rollout` of a configuration with targets (issue 22, decision 047):
// one image, several clusters, wave by wave. Each target gets the command
// context of a single-cluster rollout pointed at its own context or kubeconfig,
// with its own configuration and a reporter that prefixes its lines; the engine
// runs in it unchanged. The order and the failure policy are src/waves/.
import { requirePinValue } from "../../config/load.ts";
import type { Config } from "../../config/schema.ts";
import type { ResolvedTarget } from "../../config/targets.ts";
import { parseDuration } from "../../config/duration.ts";
import { names } from "../../kube/names.ts";
import type { OperateSession } from "../../operate/session.ts";
import type { BakeLook } from "../shared/bake-checks.ts";
import { releaseInWaves, type TargetOutcome, type TargetRun } from "../../waves/release.ts";
import { withReleaseRecord } from "../shared/release-record.ts";
import type { CommandContext } from "../context.ts";
import { clockFor } from "../shared/test-hooks.ts";
import { targetContext } from "../shared/target-context.ts";
import { targetReporter } from "../shared/target-reporter.ts";
import { type RolloutOptions, rolloutImage } from "../shared/rollout-image.ts";

/** How often a bake reads the promoted targets' Deployments. */
const BAKE_CHECK_MS = 2_000;

export async function releaseCommand(
  ctx: CommandContext,
  config: Config,
  targets: readonly ResolvedTarget[],
  options: RolloutOptions & { image: string; commit?: string },
): Promise<number> {
  for (const target of targets) requirePinValue(target.config);
  const runs = new Map(targets.map((target) => [target.name, targetRun(ctx, target, options)]));
  const waves = (config.waves ?? []).map((wave) => ({
    targets: wave.targets,
    bakeMs: parseDuration(wave.bake) ?? 0,
    maxParallel: wave.maxParallel ?? wave.targets.length,
  }));
  const clock = clockFor(ctx.env);
  const ended = await withReleaseRecord(ctx, config, targets, options, async (record) => {
    // The release stops as on Ctrl-C when this process loses the release Lease (someone forced it over).
    const signal = AbortSignal.any([ctx.signal, record.lost]);
    return releaseInWaves(runs, {
      waves,
      onWaveFailure: config.onWaveFailure,
      clock,
      signal,
      bakeCheckMs: BAKE_CHECK_MS,
      resume: record.resume,
      onChange: (change) => record.keeper.change(change),
      report: (target, type, fields, text, warn) => {
        const reporter = target ? targetReporter(ctx.reporter, target) : ctx.reporter;
        reporter.event(type, fields, text, warn ? "warn" : "info");
      },
    });
  });
  ctx.reporter.result(
    ended.outcome,
    {
      app: config.app,
      image: options.image,
      release: ended.release,
      targets: ended.targets,
      exitCode: ended.exitCode,
      reason: ended.outcome === "promoted" ? undefined : ended.message,
    },
    ended.message,
  );
  return ended.exitCode;
}

function targetRun(
  ctx: CommandContext,
  target: ResolvedTarget,
  options: RolloutOptions & { image: string; commit?: string },
): TargetRun {
  // The release's rollbacks and bake reads are not stopped by the user's first Ctrl-C: rolling back is what it
  // asks for (rollout.onInterrupt), and a rollback cut short would leave a target half undone. A second signal
  // still ends the process (the launcher).
  const undisturbed = new AbortController().signal;
  let watched: OperateSession | undefined;
  let metrics: Promise<BakeLook | undefined> | undefined;
  const session = async () => {
    const { sessionFor } = await import("../shared/operate-session.ts");
    watched ??= sessionFor(targetContext(ctx, target, undisturbed), target.config);
    return watched;
  };
  return {
    name: target.name,
    async rollout(signal, onOutage) {
      // The wave's stop (another target failed) reaches the engine as the user's Ctrl-C would: at its next safe point.
      const tctx = { ...targetContext(ctx, target, signal), onOutage };
      const ended = await rolloutImage(tctx, target.config, options);
      // The target's own result, as one line of the release (targetReporter makes it a target-result event).
      tctx.reporter.result(ended.outcome, ended.fields, ended.message);
      const revision = typeof ended.fields.revision === "number" ? ended.fields.revision : undefined;
      return { outcome: ended.outcome, exitCode: ended.exitCode, message: ended.message, revision };
    },
    async rollback(reason): Promise<TargetOutcome> {
      const [{ sessionFor }, { rollbackRelease }] = await Promise.all([
        import("../shared/operate-session.ts"),
        import("../../operate/rollback.ts"),
      ]);
      const tctx = targetContext(ctx, target, undisturbed);
      const ended = await rollbackRelease(sessionFor(tctx, target.config), {
        mode: "rollback",
        wait: true,
        force: false,
        reason,
        onStable: () =>
          tctx.reporter.event("traffic-on-stable", { app: target.config.app }, "traffic is 100% on stable"),
      });
      tctx.reporter.event("target-rolled-back", { outcome: ended.outcome, ...ended.fields }, ended.message, "warn");
      return { outcome: ended.outcome, exitCode: ended.exitCode, message: ended.message };
    },
    async health(final) {
      const { ctx: rollout } = await session();
      const name = names(target.config.app).stable;
      const stable = await rollout.cluster.getDeployment(name);
      if (!stable) return `Deployment ${name} is gone`;
      const want = stable.spec?.replicas ?? 1;
      const ready = stable.status?.readyReplicas ?? 0;
      const updated = stable.status?.updatedReplicas ?? 0;
      if (ready < want || updated < want)
        return `Deployment ${name} has ${ready} of ${want} replicas ready (${updated} updated)`;
      // The metric ceilings on the now-stable release (decision 049): one set of checks per target and bake.
      metrics ??= import("../shared/bake-checks.ts").then(({ bakeMetricLook }) => bakeMetricLook(rollout, ctx.env));
      return (await metrics)?.(final);
    },
  };
}
