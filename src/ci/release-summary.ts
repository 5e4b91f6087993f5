// The Markdown summary of a release in waves (issue 22): the release's
// outcome, a table of its targets by wave (how each one's rollout and
// rollback ended, the release it runs, how long its rollout took), then each
// target's own steps table and chart, drawn from that target's events alone,
// and what its bake's metric ceilings showed.
import { formatDuration } from "../config/duration.ts";
import { isFailure } from "../output/outcomes.ts";
import type { RunRecord } from "./run-record.ts";
import { cell, code, facts, headline, rolloutSummary, stepsSection } from "./summary.ts";

/** Per target, as the release's result tells it (targets never started are there too). */
type ResultTargets = Record<string, { wave?: number; rollout?: string; rollback?: string }>;

/** The summary a command's record calls for: the release's when it ran targets, else the single run's. */
export function commandSummary(record: RunRecord): string {
  return record.targets.size > 0 ? releaseSummary(record) : rolloutSummary(record);
}

/** Outcomes after which a target runs the new release (src/waves/release.ts). */
const SUCCEEDED = new Set(["promoted", "deployed", "unchanged"]);
const mark = (outcome: string) => (SUCCEEDED.has(outcome) ? "✅" : isFailure(outcome, {}) ? "❌" : "⚠️");

function rolloutCell(outcome: string | undefined, bakeFailed: string | undefined): string {
  if (!outcome) return "— not started";
  const bake = bakeFailed === undefined ? "" : `<br>❌ bake: ${cell(bakeFailed)}`;
  return `${mark(outcome)} ${cell(outcome)}${bake}`;
}

/** `revision 3 · sha256:0123456789ab`: the release a target runs, short enough for a table. */
function releaseCell(target: RunRecord | undefined): string {
  const fields = target?.result?.fields;
  if (!fields) return "—";
  const parts: string[] = [];
  if (fields.revision !== undefined) parts.push(`revision ${fields.revision}`);
  const digest = typeof fields.image === "string" ? /@(sha256:[0-9a-f]{12})/.exec(fields.image)?.[1] : undefined;
  if (digest) parts.push(code(digest));
  return parts.join(" · ") || "—";
}

function durationCell(target: RunRecord | undefined): string {
  const [from, to] = [target?.startedAt, target?.result?.at];
  return from && to ? formatDuration(to.getTime() - from.getTime()) : "—";
}

/** The bake's metric ceilings (decision 049): the bound crossed, or each check's verdict at the bake's end. */
function bakeLines(target: RunRecord): string[] {
  if (target.bakeFailed !== undefined) return [`Bake: ❌ ${cell(target.bakeFailed)}`];
  return target.bakeChecks.map(
    (check) =>
      `Bake: ${check.result === "passed" ? "✅" : "⏳"} ${cell(check.summary)}${check.result === "passed" ? "" : " (not a failure)"}`,
  );
}

export function releaseSummary(record: RunRecord): string {
  const result = record.result;
  if (!result) return "";
  const { outcome, fields, text } = result;
  const app = typeof fields.app === "string" ? fields.app : "release";
  const lines = [headline(outcome, fields), "", `**${cell(text)}**`];
  const known = facts(fields);
  if (known) lines.push("", known);
  const told = (fields.targets ?? {}) as ResultTargets;
  // The result's order is the waves' (targets by wave, in configured order); a target only seen in events follows.
  const names = [...new Set([...Object.keys(told), ...record.targets.keys()])];
  const waveOf = (name: string) => told[name]?.wave ?? record.targets.get(name)?.wave ?? 0;
  names.sort((x, y) => waveOf(x) - waveOf(y));
  lines.push(
    "",
    "| Wave | Target | Rollout | Rollback | Release | Duration |",
    "| ---: | --- | --- | --- | --- | ---: |",
  );
  for (const name of names) {
    const target = record.targets.get(name);
    const rollout = told[name]?.rollout ?? target?.result?.outcome;
    const rollback = told[name]?.rollback ?? target?.rollback;
    // A rollback that ran to its end did what it was asked: back on the previous release.
    const rollbackText = rollback ? `${rollback === "rolled-back" ? "↩️" : "⚠️"} ${cell(rollback)}` : "—";
    lines.push(
      `| ${waveOf(name) || "—"} | ${cell(name)} | ${rolloutCell(rollout, target?.bakeFailed)} | ${rollbackText} | ${releaseCell(target)} | ${durationCell(target)} |`,
    );
  }
  for (const name of names) {
    const target = record.targets.get(name);
    if (!target || (target.steps.length === 0 && target.bakeChecks.length === 0 && !target.bakeFailed)) continue;
    const ended = target.result?.outcome ?? "ended without a result";
    lines.push("", `#### ${cell(name)} (wave ${waveOf(name)}): ${cell(ended)}`);
    if (target.steps.length > 0) lines.push(...stepsSection(`${app} · ${name}`, target.steps));
    const bake = bakeLines(target);
    if (bake.length > 0) lines.push("", ...bake);
  }
  return `${lines.join("\n")}\n\n`;
}
