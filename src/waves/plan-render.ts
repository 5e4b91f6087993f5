// `grayctl plan` of a release across targets (issue 22): the waves in order,
// each target with where it is (context or kubeconfig, namespace) and what its
// `set:` changes. Read from the configuration only: no cluster is asked.
import type { Config } from "../config/schema.ts";
import type { ResolvedTarget } from "../config/targets.ts";

export interface PlannedWave {
  wave: number;
  bake: string | number;
  maxParallel: number;
  targets: { name: string; context?: string; kubeconfig?: string; namespace: string; set: Record<string, unknown> }[];
}

export function plannedWaves(config: Config, targets: readonly ResolvedTarget[]): PlannedWave[] {
  const byName = new Map(targets.map((target) => [target.name, target]));
  const sets = new Map((config.targets ?? []).map((target) => [target.name, target.set]));
  return (config.waves ?? []).map((wave, index) => ({
    wave: index + 1,
    bake: wave.bake,
    maxParallel: wave.maxParallel ?? wave.targets.length,
    targets: wave.targets.map((name) => {
      const target = byName.get(name)!;
      return {
        name,
        context: target.context,
        kubeconfig: target.kubeconfig,
        namespace: target.config.namespace,
        set: sets.get(name) ?? {},
      };
    }),
  }));
}

export function renderWaves(config: Config, waves: readonly PlannedWave[], image: string): string {
  const lines = [
    `release of ${config.app} (${image}) to ${waves.reduce((n, w) => n + w.targets.length, 0)} targets in ${waves.length} waves:`,
  ];
  for (const wave of waves) {
    lines.push(
      `  wave ${wave.wave}: ${wave.targets.length} target(s), ${wave.maxParallel} at a time, then bake ${bakeText(wave.bake)}`,
    );
    for (const target of wave.targets) {
      const where = target.context ? `context ${target.context}` : "current context";
      const file = target.kubeconfig ? ` of ${target.kubeconfig}` : "";
      const set = Object.entries(target.set).map(([path, value]) => `${path}=${JSON.stringify(value)}`);
      lines.push(
        `    ${target.name}: ${where}${file}, namespace ${target.namespace}${set.length ? `, set ${set.join(", ")}` : ""}`,
      );
    }
  }
  const recordIn = config.recordIn ?? waves[0]?.targets[0]?.name;
  const recordAt = waves.flatMap((wave) => wave.targets).find((target) => target.name === recordIn);
  if (recordAt)
    lines.push(
      `release record and lock: ConfigMap and Lease ${config.app}-grayctl-release in target ${recordAt.name}, namespace ${recordAt.namespace}${config.recordIn ? " (recordIn)" : ""}`,
    );
  lines.push(
    config.onWaveFailure === "rollback"
      ? "on a failure: the failing wave rolls back, and every target already promoted goes back to its previous release (onWaveFailure: rollback)"
      : "on a failure: the failing wave rolls back; earlier waves stay as they are (onWaveFailure: halt)",
  );
  return lines.join("\n");
}

function bakeText(bake: string | number): string {
  return typeof bake === "number" ? `${bake}s` : bake;
}
