// Text rendering of status (json mode prints the view as it is; history: history-render.ts). Pure.
import type { DecisionRecord } from "../analysis/record.ts";
import type { GateResult, GateValues } from "../analysis/types.ts";
import { formatDuration } from "../config/duration.ts";
import { eText, evidencePath } from "../output/sparkline.ts";
import { splitImage } from "./lineage.ts";
import type { StatusView, TrackStatus } from "./status.ts";

export function renderStatus(view: StatusView, options: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  const head = `${view.app} (namespace ${view.namespace}): ${view.phase}${view.orphaned ? " — ORPHANED" : ""}`;
  lines.push(head);
  if (view.phase === "none" && !view.stable.exists) {
    lines.push("  nothing deployed yet (no Deployment, no grayctl record)");
    return lines.join("\n");
  }
  // What runs now comes first: in an incident that is the question.
  lines.push(`  running now: ${runningNow(view)}`);
  if (view.revision !== undefined) {
    const what = view.inFlight ? "rolling out" : `last release (${view.phase})`;
    const since =
      view.sinceSeconds !== undefined ? `, in this phase for ${formatDuration(view.sinceSeconds * 1000)}` : "";
    lines.push(`  ${what}: revision ${view.revision}, ${view.image}${view.actor ? `, by ${view.actor}` : ""}${since}`);
  }
  if (view.inFlight) {
    lines.push(
      `  canary traffic: ${weightText(view.canaryWeight)} now (recorded ${view.recordedWeight ?? 0}%, target ${view.targetWeight ?? 0}%)`,
    );
    lines.push(...stepLines(view));
  } else {
    lines.push(`  canary traffic: ${weightText(view.canaryWeight)} now`);
  }
  if (view.reason) lines.push(`  reason: ${view.reason}`);
  lines.push(...trackLines("stable", view.stable, options), ...trackLines("canary", view.canary, options));
  if (view.gates.length > 0) {
    lines.push("  last gate results:");
    for (const gate of view.gates) lines.push(`    ${gateText(gate)}`);
  }
  if (options.verbose) lines.push(...decisionLines(view.decisions));
  lines.push(`  lock: ${leaseText(view)}`);
  if (view.guard) {
    lines.push(
      `  guard: last pass ${view.guard.lastPass} (${view.guard.agoSeconds}s ago by its clock); an orphaned rollout is ${{ rollback: "rolled back", resume: "resumed", hold: "held" }[view.guard.onOrphan] ?? view.guard.onOrphan} (onOrphan: ${view.guard.onOrphan})`,
    );
  } else if (view.orphaned) {
    lines.push(`  guard: none has passed in namespace ${view.namespace} (\`grayctl guard install\` sets one up)`);
  }
  if (view.unwatchedCanary) {
    lines.push(
      `  WARNING: the canary has ${weightText(view.canaryWeight ?? view.recordedWeight)} of the traffic and NOBODY is watching it: \`grayctl rollback\` sends it all to stable`,
    );
  }
  if (view.orphaned) {
    lines.push(
      `  nobody runs this rollout (${orphanWhy(view)}): continue with \`grayctl resume\`, or undo with \`grayctl rollback\``,
    );
  } else if (view.phase === "paused") {
    lines.push("  paused: continue with `grayctl promote`, or undo with `grayctl rollback`");
  } else if (view.phase === "interrupted") {
    lines.push("  interrupted: continue with `grayctl resume`, or undo with `grayctl rollback`");
  }
  return lines.join("\n");
}

/** The steps of a rollout in flight are those it recorded when it started (decision 025). */
const planSource = (view: StatusView) =>
  view.planRecorded ? "as recorded when the rollout started" : "from the configuration: the record holds no plan";

const weightText = (weight: number | undefined) => (weight === undefined ? "n/a (no routing object)" : `${weight}%`);

function trackLines(name: string, track: TrackStatus, options: { verbose?: boolean }): string[] {
  if (!track.exists) return [`  ${name.padEnd(6)} Deployment ${track.deployment} absent`];
  const digest = track.digest ? ` ${track.digest.slice(0, 19)}…` : "";
  const lines = [
    `  ${name.padEnd(6)} ${track.ready}/${track.desired} pods ready  ${splitImage(track.image).name ?? "?"}${digest}`,
  ];
  // --verbose: why each pod that is not ready is not (kubectl describe pod, condensed).
  if (options.verbose)
    for (const pod of track.notReady ?? []) lines.push(`    pod ${pod.pod} not ready: ${pod.why.join("; ")}`);
  return lines;
}

function runningNow(view: StatusView): string {
  const stable = view.stable;
  if (!stable.exists) return `nothing: Deployment ${stable.deployment} absent`;
  const revision = view.currentRevision !== undefined ? `revision ${view.currentRevision}, ` : "";
  return `stable ${revision}${stable.image ?? "?"} (${stable.ready}/${stable.desired} pods ready)`;
}

/** The whole step list with a marker on where the rollout is, as `kubectl argo rollouts get rollout` shows it. */
function stepLines(view: StatusView): string[] {
  const at = view.step === undefined ? "before step 1" : `at step ${view.step}`;
  const lines = [`  steps (${at} of ${view.steps}, ${planSource(view)}):`];
  view.stepList.forEach((step, index) => {
    const number = index + 1;
    const marker =
      view.step === undefined || number > view.step
        ? " "
        : number < view.step
          ? "✔"
          : view.phase === "paused"
            ? "⏸"
            : "▶";
    const pause =
      step.pause === "manual"
        ? ", then pause until `grayctl promote`"
        : step.pause
          ? `, then pause ${formatDuration(step.pause)}`
          : "";
    lines.push(`    ${marker} ${number}. ${step.weight}%${pause}${number === view.step ? "   ← here" : ""}`);
  });
  return lines;
}

const numbers = (values: GateValues) =>
  Object.entries(values)
    .map(([key, value]) => `${key}=${value === null ? "n/a" : Number(value.toPrecision(4))}`)
    .join(", ");

/** The decision records (status --verbose): what each gate evaluation looked at, saw and concluded. */
function decisionLines(records: readonly DecisionRecord[]): string[] {
  if (records.length === 0) return ["  decisions: none recorded for this release"];
  const lines = [`  decisions (${records.length}, newest last):`];
  const time = (iso: string) => iso.slice(11, 19);
  for (const record of records) {
    // A look inside the window that concluded nothing: one line (its step's verdict below has the query and rule).
    if (record.look === "interim" && record.verdict !== "failed") {
      const e = record.evidence ? ` e=${eText(record.evidence.eValue)}` : "";
      const ceiling = record.evidence?.ceilingEValue != null ? ` max-e=${eText(record.evidence.ceilingEValue)}` : "";
      const seen = Object.keys(record.canary).length ? ` · canary ${numbers(record.canary)}` : "";
      lines.push(
        `    look step ${record.step} (${record.weight}%) ${time(record.window.end)} +${record.window.seconds}s ${record.gate}: ${record.verdict}${e}${ceiling}${seen}`,
      );
      continue;
    }
    lines.push(
      `    step ${record.step} (${record.weight}%) ${time(record.window.start)}–${time(record.window.end)} (${record.window.seconds}s) ${record.gate} [${record.source}]: ${record.verdict}`,
    );
    if (record.query) lines.push(`      query: ${record.query.replace(/\s*\n\s*/g, " ")}`);
    if (record.statusLabel) lines.push(`      5xx by status label: ${record.statusLabel}`);
    const seen = [
      Object.keys(record.canary).length ? `canary ${numbers(record.canary)}` : "",
      Object.keys(record.stable).length ? `stable ${numbers(record.stable)}` : "",
      Object.keys(record.details).length ? numbers(record.details) : "",
    ].filter(Boolean);
    if (seen.length) lines.push(`      saw: ${seen.join(" · ")}`);
    const rule = [
      record.statistic,
      record.pValue !== null ? `p=${Number(record.pValue.toPrecision(3))}` : "",
      Object.keys(record.threshold).length ? `threshold ${numbers(record.threshold)}` : "",
    ].filter(Boolean);
    if (rule.length) lines.push(`      rule: ${rule.join(" · ")}`);
    lines.push(`      ${record.text.replace(/\n/g, "\n      ")}`);
  }
  return [...lines, ...evidenceLines(records)];
}

/** The sequential gates' e-values per step, look by look (the larger of comparison and ceiling). */
function evidenceLines(records: readonly DecisionRecord[]): string[] {
  const paths = new Map<string, { values: number[]; threshold: number; verdict: string }>();
  for (const record of records) {
    if (!record.evidence) continue;
    const key = `${record.gate} step ${record.step}`;
    const path = paths.get(key) ?? { values: [], threshold: record.evidence.threshold, verdict: "" };
    path.values.push(Math.max(record.evidence.eValue, record.evidence.ceilingEValue ?? 0));
    path.verdict = record.verdict;
    paths.set(key, path);
  }
  if (paths.size === 0) return [];
  const threshold = [...paths.values()][0].threshold;
  return [
    `  evidence (e-value per look, fails at ${threshold}):`,
    ...[...paths].map(([key, path]) => `    ${key}: ${evidencePath(path.values, path.threshold)} (${path.verdict})`),
  ];
}

function gateText(gate: GateResult): string {
  const values = gate.values ? ` [${numbers(gate.values)}]` : "";
  const text = gate.result === "passed" ? gate.summary : gate.result === "failed" ? gate.reason : gate.why;
  return `${gate.gate}: ${gate.result} — ${text}${values}`;
}

function leaseText(view: StatusView): string {
  const lease = view.lease;
  if (!lease?.holder) return "free";
  // The age is the holder's renewTime against our clock: honest only as "by its clock".
  const age = lease.ageSeconds !== undefined ? `renewed ${lease.ageSeconds}s ago by its clock` : "never renewed";
  const seen = {
    free: "",
    ours: "",
    "process-gone": "; its process on this machine is gone",
    lapsed: `; not renewed for ${lease.unchangedSeconds}s as watched from here, EXPIRED`,
    live: "; seen renewing from here",
    unconfirmed:
      lease.ageSeconds !== undefined && lease.ageSeconds > lease.durationSeconds
        ? `; if its process is gone, \`grayctl status --watch\` tells within ${lease.durationSeconds}s (clocks are never compared)`
        : "",
  }[lease.basis];
  return `${lease.holder} (${age}${seen})`;
}

function orphanWhy(view: StatusView): string {
  const lease = view.lease;
  if (!lease?.holder) return "nobody holds its Lease";
  if (lease.basis === "process-gone") return "the process that ran it on this machine is gone";
  return `its Lease was not renewed for ${lease.unchangedSeconds}s as watched from here`;
}
