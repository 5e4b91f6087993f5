// The bake's metric ceilings of one promoted target (issue 22, decision 049),
// wired to that target: its stable pods through its own API server, its own
// metrics provider (a target's `set:` may name another Prometheus), its
// prefixed lines. src/analysis/bake-checks.ts reads and judges.
import { trackSelector } from "../../kube/names.ts";
import type { RolloutContext } from "../../rollout/context.ts";
import { durationsOf } from "../../rollout/plan.ts";
import { metricsSettings, podScraper } from "./metric-gates.ts";

/** One look of the bake: what is wrong (a crossed bound, with its figure), else undefined. */
export type BakeLook = (final: boolean) => Promise<string | undefined>;

/** The bake's look for this target, or undefined when no check has a bound to judge. */
export async function bakeMetricLook(
  rollout: RolloutContext,
  env: Record<string, string | undefined>,
): Promise<BakeLook | undefined> {
  const settings = metricsSettings(rollout.config);
  if (!settings) return undefined;
  const [{ createBakeChecks }, { proxiedFetch }] = await Promise.all([
    import("../../analysis/bake-checks.ts"),
    import("../../run/proxied-fetch.ts"),
  ]);
  const { app, namespace, deployment } = rollout.config;
  const checks = createBakeChecks(settings, {
    clock: rollout.clock,
    scrapePod: podScraper(rollout.cluster),
    fetch: proxiedFetch(env),
    everyMs: durationsOf(rollout.config).evaluateEveryMs,
  });
  if (!checks) return undefined;
  return async (final) => {
    const pods = (await rollout.cluster.listPods(trackSelector(app, "stable")))
      .filter((pod) => !pod.metadata?.deletionTimestamp)
      .map((pod) => ({ name: pod.metadata?.name ?? "", namespace, track: "stable" as const, port: deployment.port }));
    const verdicts = await checks.look({ app, namespace, pods }, final);
    const failed = verdicts.find((verdict) => verdict.result === "failed");
    if (failed) return failed.text;
    // The bake's end: what each bound showed, and, said rather than failed, a check that saw too little.
    for (const verdict of verdicts) {
      const warn = verdict.result !== "passed";
      rollout.reporter.event(
        "bake-check",
        { check: verdict.check, result: verdict.result, summary: verdict.text },
        verdict.text,
        warn ? "warn" : "info",
      );
    }
    return undefined;
  };
}
