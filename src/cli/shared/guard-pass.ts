// One pass of `grayctl guard` over the namespace: every app whose state
// ConfigMap records a rollout that needs an owner is judged (in parallel: each
// may watch its Lease for up to its duration plus the grace) and, when
// orphaned, given its recorded onOrphan policy (operate/guard.ts).

import type { V1ConfigMap } from "@kubernetes/client-node";
import { type Config, configSchema } from "../../config/schema.ts";
import { ExitCode } from "../../errors.ts";
import { createLifecycle } from "../../hooks/lifecycle.ts";
import type { Cluster } from "../../kube/cluster.ts";
import { isAlreadyExists, isConflict, permissionProblem } from "../../kube/errors.ts";
import { MANAGED_BY } from "../../kube/names.ts";
import { decodeState } from "../../kube/state-codec.ts";
import { withPlan } from "../../model/plan.ts";
import type { RolloutState } from "../../model/state.ts";
import { type GuardResult, guardApp, needsOwner } from "../../operate/guard.ts";
import { GUARD_RECORD } from "../../operate/guard-objects.ts";
import { Interrupted } from "../../rollout/engine.ts";
import type { CommandContext } from "../context.ts";
import { configFromRecord } from "./guard-record.ts";
import { sessionFor } from "./operate-session.ts";
import { equipForEngine } from "./session.ts";

const STATE_SUFFIX = "-grayctl";

export async function runGuardPass(
  cmd: CommandContext,
  options: { namespace: string; graceMs: number; targets: string[] },
): Promise<number> {
  const { namespace } = options;
  // A session only to list the namespace's state records (the app name is a placeholder, never written).
  const lister = sessionFor(cmd, configSchema.parse({ app: "guard", namespace }) as Config);
  const maps = await lister.ctx.cluster.listConfigMaps(
    Object.entries(MANAGED_BY)
      .map(([k, v]) => `${k}=${v}`)
      .join(","),
  );
  const records = maps.filter((map) => {
    const name = map.metadata?.name ?? "";
    return name.endsWith(STATE_SUFFIX) && map.metadata?.labels?.app === name.slice(0, -STATE_SUFFIX.length);
  });
  const results = await Promise.all(
    records.map(async (map): Promise<GuardResult> => {
      const app = map.metadata?.labels?.app ?? "";
      try {
        const { state } = decodeState(map, { name: map.metadata?.name ?? "", namespace });
        if (!needsOwner(state)) return { app, verdict: "idle", message: `${app}: nothing in flight`, exitCode: 0 };
        return await guardOne(cmd, app, state, options);
      } catch (error) {
        // A permission the guard's Role lacks is named, exit 2 (as every command does), not a bug.
        const denied = permissionProblem(error);
        if (denied) {
          const hint = denied.hint.replace(
            /templates\/rbac\.yaml holds .*$/,
            "The guard's Role is `grayctl guard install`'s (templates/guard.yaml).",
          );
          return { app, verdict: "idle", message: `${app}: ${denied.message}. ${hint}`, exitCode: ExitCode.usage };
        }
        const exitCode = (error as { exitCode?: number }).exitCode ?? ExitCode.internal;
        return { app, verdict: "idle", message: `${app}: ${(error as Error).message}`, exitCode };
      }
    }),
  );
  await recordPass(lister.ctx.cluster, cmd, namespace, results);
  for (const result of results) {
    const text = result.verdict === "idle" && result.exitCode === 0 ? undefined : `  ${result.message}`;
    if (result.exitCode !== 0) cmd.reporter.warn(result.message);
    else cmd.reporter.event("guard-app", { ...result, namespace }, text);
  }
  const count = (verdict: string) => results.filter((r) => r.verdict === verdict).length;
  const acted = count("rolled-back") + count("resumed");
  const failed = results.find((r) => r.exitCode !== 0);
  cmd.reporter.result(
    acted > 0 ? "guard-acted" : "guard-passed",
    {
      namespace,
      apps: results.length,
      rolledBack: count("rolled-back"),
      resumed: count("resumed"),
      held: count("held"),
      live: count("live"),
      passedAt: cmd.now().toISOString(),
    },
    `guard pass over ${results.length} app${results.length === 1 ? "" : "s"} in ${namespace}: ${count("rolled-back")} rolled back, ${count("resumed")} resumed, ${count("held")} held, ${count("live")} live`,
  );
  return failed?.exitCode ?? ExitCode.ok;
}

async function guardOne(
  cmd: CommandContext,
  app: string,
  state: RolloutState,
  options: { namespace: string; graceMs: number; targets: string[] },
): Promise<GuardResult> {
  const config = configFromRecord(app, options.namespace, state, cmd.env, options.targets, withPlan);
  if (!config) {
    return {
      app,
      verdict: "idle",
      message: `${app}: the rollout of ${state.image} was recorded by an older grayctl without its setup; the guard cannot act on it — run \`grayctl rollback\` or \`resume\` with its grayctl.yaml`,
      exitCode: ExitCode.usage,
    };
  }
  const session = sessionFor(
    cmd,
    config,
    { interrupt: (reason) => new Interrupted(String((reason as Error)?.message ?? "interrupted")) },
    undefined,
    { graceMs: options.graceMs },
  );
  const notify = createLifecycle(config, {
    cwd: cmd.cwd,
    env: cmd.env,
    clock: session.ctx.clock,
    reporter: cmd.reporter,
    redact: (value) => cmd.reporter.redactor.value(value),
    actor: session.ctx.actor,
    hooks: false,
  });
  try {
    return await guardApp({ ...session, notify, prepareResume: () => equipForEngine(cmd, session.ctx, config) }, state);
  } finally {
    await Promise.all([notify.settle(), session.ctx.lifecycle?.settle()]);
  }
}

/** Leaves the pass's time in ConfigMap grayctl-guard for `status`; best effort, and no rollout's write (unfenced). */
async function recordPass(cluster: Cluster, cmd: CommandContext, namespace: string, results: GuardResult[]) {
  cluster.fence = undefined;
  const body = (resourceVersion?: string): V1ConfigMap => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: GUARD_RECORD, namespace, labels: { ...MANAGED_BY }, resourceVersion },
    data: { lastPass: cmd.now().toISOString(), apps: String(results.length) },
  });
  try {
    const current = await cluster.getConfigMap(GUARD_RECORD);
    if (current) await cluster.replaceConfigMap(body(current.metadata?.resourceVersion));
    else await cluster.createConfigMap(body());
  } catch (error) {
    // Another guard's pass wrote it meanwhile (409), or the Role cannot: the pass itself stands.
    if (!isConflict(error) && !isAlreadyExists(error))
      cmd.reporter.warn(`could not record the pass in ConfigMap ${GUARD_RECORD}: ${(error as Error).message}`);
  }
}
