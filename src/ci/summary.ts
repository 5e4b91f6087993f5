// The Markdown summary of a command: for a rollout, the steps table (weight,
// duration, every gate's verdict with its numbers), the outcome and reason,
// and the chart; for other commands, the outcome and the result's fields.
// Written to GITHUB_STEP_SUMMARY, and to a file GitLab keeps as an artifact.
import { formatDuration } from "../config/duration.ts";
import { isFailure } from "../output/outcomes.ts";
import { evidencePath } from "../output/sparkline.ts";
import type { Fields } from "../output/types.ts";
import { rolloutChart } from "./chart.ts";
import type { GateVerdict, RunRecord, StepRecord } from "./run-record.ts";

/** Outcomes that are what was asked; anything else neither failed nor succeeded gets a warning sign. */
const SUCCEEDED = new Set([
  "promoted",
  "deployed",
  "unchanged",
  "nothing-to-do",
  "built",
  "reused",
  "valid",
  "written",
  "status",
  "history",
]);

const MARK: Record<GateVerdict["result"], string> = { passed: "✅", failed: "❌", inconclusive: "⏳" };

/** Text safe inside a Markdown table cell (and not taken for HTML). */
export function cell(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

export const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;

/** The verdict's words, led by the gate's name (the metric gates say it themselves, health does not). */
function verdictText(gate: GateVerdict): string {
  if (!gate.text) return `${gate.gate}: ${gate.result}`;
  return gate.text.startsWith(`${gate.gate}:`) ? gate.text : `${gate.gate}: ${gate.text}`;
}

function stepRow(step: StepRecord): string {
  const duration = step.endedAt ? formatDuration(step.endedAt.getTime() - step.startedAt.getTime()) : "";
  const windows = step.windows > 1 ? ` (${step.windows} windows)` : "";
  const gates = step.gates.length
    ? step.gates
        .map((gate) => {
          const path = step.evidence?.[gate.gate];
          // The evidence's path over the step's looks: e-values as a sparkline, first → last.
          const looks = path
            ? `<br>${cell(`e-value per look ${evidencePath(path.values, path.threshold)} (fails at ${path.threshold})`)}`
            : "";
          return `${MARK[gate.result]} ${cell(verdictText(gate))}${looks}`;
        })
        .join("<br>")
    : "—";
  return `| ${step.step}/${step.of} | ${step.weight}% | ${duration}${windows} | ${gates} |`;
}

export function headline(outcome: string, fields: Fields): string {
  const mark = isFailure(outcome, fields)
    ? "❌"
    : outcome === "paused"
      ? "⏸️"
      : SUCCEEDED.has(outcome) || fields.exitCode === 0
        ? "✅"
        : "⚠️";
  const app = typeof fields.app === "string" ? ` ${fields.app}` : "";
  return `### ${mark} grayctl${app}: ${outcome}`;
}

export function facts(fields: Fields): string {
  const parts: string[] = [];
  if (typeof fields.image === "string") parts.push(`image ${code(fields.image)}`);
  if (fields.revision !== undefined) parts.push(`revision ${fields.revision}`);
  if (typeof fields.namespace === "string") parts.push(`namespace ${code(fields.namespace)}`);
  return parts.join(" · ");
}

/** The steps table and the chart titled `title`, each after a blank line. */
export function stepsSection(title: string, steps: StepRecord[]): string[] {
  const lines = ["", "| Step | Weight | Duration | Gates (canary vs stable) |", "| ---: | ---: | ---: | --- |"];
  lines.push(...steps.map(stepRow));
  const chart = rolloutChart(title, steps);
  if (chart) lines.push("", chart);
  return lines;
}

export function rolloutSummary(record: RunRecord): string {
  const result = record.result;
  if (!result) return "";
  const { outcome, fields, text } = result;
  const reason = typeof fields.reason === "string" ? fields.reason : undefined;
  const lines = [headline(outcome, fields), "", `**${cell(text)}**`];
  if (reason && !text.includes(reason)) lines.push("", `Reason: ${cell(reason)}`);
  const known = facts(fields);
  if (known) lines.push("", known);
  if (record.steps.length) {
    lines.push(...stepsSection(typeof fields.app === "string" ? fields.app : "rollout", record.steps));
  } else {
    const rows = Object.entries(fields)
      .filter(([, value]) => value !== undefined && value !== null && typeof value !== "object")
      .map(([key, value]) => `| ${key} | ${cell(String(value))} |`);
    if (rows.length) lines.push("", "| field | value |", "| --- | --- |", ...rows);
  }
  return `${lines.join("\n")}\n\n`;
}
