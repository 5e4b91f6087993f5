// The text of `grayctl plan` (the JSON result carries the same as fields).
import type { PlannedGate } from "./plan-gates.ts";
import type { RolloutPlan } from "./plan.ts";

export interface PlannedImage {
  image: string;
  digest?: string;
  note: string;
}

export function renderPlan(
  app: { app: string; namespace: string; router: string },
  image: PlannedImage,
  plan: RolloutPlan,
  gates: PlannedGate[],
  extras: string[],
): string {
  const lines = [`plan for ${app.app} in namespace ${app.namespace} (router ${app.router}); nothing is written`];
  lines.push(`image: ${image.image}`, `  ${image.note}`);
  lines.push(`what \`grayctl rollout\` would do: ${plan.why}`);
  if (plan.kind === "canary") {
    lines.push("steps:");
    lines.push("  step  weight  canary pods  stable pods  pause");
    for (const s of plan.steps) {
      const weight = s.effectiveWeight !== s.weight ? `${s.weight}% (${s.effectiveWeight}%)` : `${s.weight}%`;
      const pause = s.pause === undefined ? "" : s.pause === "manual" ? "manual" : `${s.pause / 1000}s`;
      lines.push(
        `  ${String(s.step).padEnd(4)}  ${weight.padEnd(6)}  ${String(s.canaryReplicas).padEnd(11)}  ${String(s.stableReplicas).padEnd(11)}  ${pause}`,
      );
    }
  }
  plan.phases.forEach((phase, index) => {
    const against = index === 0 ? "the cluster now" : `the ${plan.phases[index - 1].phase}`;
    lines.push(`objects written at the ${phase.phase} (diff against ${against}):`);
    if (phase.changes.length === 0) lines.push("  no change");
    for (const change of phase.changes) {
      lines.push(`  ${change.action} ${change.kind} ${change.name}`);
      for (const line of change.diff) lines.push(`    ${line}`);
    }
  });
  if (plan.kind === "canary" || plan.kind === "first-deploy") {
    lines.push(
      plan.kind === "canary" ? "gates at every step:" : "gates: none (a first deploy waits for stable to be ready)",
    );
    if (plan.kind === "canary")
      for (const gate of gates) {
        lines.push(`  ${gate.gate}: ${gate.rule}`);
        if (gate.queries) lines.push(`    canary: ${gate.queries.canary}`, `    stable: ${gate.queries.stable}`);
      }
  }
  lines.push(...extras);
  return lines.join("\n");
}
