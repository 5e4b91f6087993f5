// A Mermaid xychart of the rollout (GitHub renders Mermaid in Markdown; GitLab
// too): canary weight per step as bars, the canary's and stable's error rates
// as lines. One y-axis in percent, since xychart-beta has only one.
import type { StepRecord } from "./run-record.ts";

const percent = (rate: number | undefined) => (rate === undefined ? 0 : Number((rate * 100).toFixed(2)));

/** The chart's Markdown, or undefined when there is no step to draw. */
export function rolloutChart(app: string, steps: StepRecord[]): string | undefined {
  if (steps.length === 0) return undefined;
  const rates = steps.map((step) => step.gates.find((gate) => gate.canaryRate !== undefined));
  const hasRates = rates.some((gate) => gate !== undefined);
  const labels = steps.map((step) => JSON.stringify(`${step.step} · ${step.weight}%`));
  const lines = [
    "```mermaid",
    "xychart-beta",
    `  title ${JSON.stringify(`${app}: canary weight${hasRates ? " (bars), error rate canary and stable (lines)" : ""}, %`)}`,
    `  x-axis [${labels.join(", ")}]`,
    `  y-axis "percent" 0 --> 100`,
    `  bar [${steps.map((step) => step.weight).join(", ")}]`,
  ];
  if (hasRates) {
    lines.push(`  line [${rates.map((gate) => percent(gate?.canaryRate)).join(", ")}]`);
    lines.push(`  line [${rates.map((gate) => percent(gate?.stableRate)).join(", ")}]`);
  }
  lines.push("```");
  if (hasRates && rates.some((gate) => gate === undefined))
    lines.push("", "_A step without error-rate figures (ended before its gates) is drawn at 0 %._");
  return lines.join("\n");
}
