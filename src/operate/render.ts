// Text renderings of status and history (json mode prints the views as they are). Pure.
import type { DecisionRecord } from "../analysis/record.ts";
import type { GateResult, GateValues } from "../analysis/types.ts";
import { formatDuration } from "../config/duration.ts";
import type { Release } from "../model/state.ts";
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
  if (view.revision !== undefined) {
    const since = view.sinceSeconds !== undefined ? ` for ${formatDuration(view.sinceSeconds * 1000)}` : "";
    lines.push(`  revision ${view.revision}: ${view.image}${since}${view.actor ? ` (by ${view.actor})` : ""}`);
  }
  if (view.inFlight) {
    const step = view.step !== undefined ? `step ${view.step}/${view.steps}` : `before step 1/${view.steps}`;
    lines.push(
      `  ${step}, canary weight ${weightText(view.canaryWeight)} (recorded ${view.recordedWeight ?? 0}%, target ${view.targetWeight ?? 0}%)`,
    );
  } else {
    lines.push(`  canary weight ${weightText(view.canaryWeight)}`);
  }
  if (view.reason) lines.push(`  reason: ${view.reason}`);
  lines.push(trackLine("stable", view.stable), trackLine("canary", view.canary));
  if (view.gates.length > 0) {
    lines.push("  last gate results:");
    for (const gate of view.gates) lines.push(`    ${gateText(gate)}`);
  }
  if (options.verbose) lines.push(...decisionLines(view.decisions));
  lines.push(`  lock: ${leaseText(view)}`);
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

const weightText = (weight: number | undefined) => (weight === undefined ? "n/a (no routing object)" : `${weight}%`);

function trackLine(name: string, track: TrackStatus): string {
  if (!track.exists) return `  ${name.padEnd(6)} Deployment ${track.deployment} absent`;
  const digest = track.digest ? ` ${track.digest.slice(0, 19)}…` : "";
  return `  ${name.padEnd(6)} ${track.ready}/${track.desired} ready  ${splitImage(track.image).name ?? "?"}${digest}`;
}

const numbers = (values: GateValues) =>
  Object.entries(values)
    .map(([key, value]) => `${key}=${value === null ? "n/a" : Number(value.toPrecision(4))}`)
    .join(", ");

/** The decision records (status --verbose): what each gate evaluation looked at, saw and concluded. */
function decisionLines(records: readonly DecisionRecord[]): string[] {
  if (records.length === 0) return ["  decisions: none recorded for this release"];
  const lines = [`  decisions (${records.length}, newest last):`];
  for (const record of records) {
    const time = (iso: string) => iso.slice(11, 19);
    lines.push(
      `    step ${record.step} (${record.weight}%) ${time(record.window.start)}–${time(record.window.end)} (${record.window.seconds}s) ${record.gate} [${record.source}]: ${record.verdict}`,
    );
    if (record.query) lines.push(`      query: ${record.query.replace(/\s*\n\s*/g, " ")}`);
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
  return lines;
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

/** One row per release, newest last, as the history is kept. */
export function historyRow(release: Release) {
  const { name, digest } = splitImage(release.image);
  return {
    revision: release.revision,
    image: release.image,
    repository: name,
    digest,
    commit: release.commit,
    actor: release.actor,
    time: release.time,
    outcome: release.outcome,
    reason: release.reason,
    restoredRevision: release.restoredRevision,
  };
}

export function renderHistory(releases: readonly Release[]): string {
  if (releases.length === 0) return "no releases recorded";
  const rows = releases.map((r) => {
    const row = historyRow(r);
    const outcome = row.restoredRevision !== undefined ? `${row.outcome} → ${row.restoredRevision}` : row.outcome;
    return [
      String(row.revision),
      outcome,
      `${row.repository ?? ""}${row.digest ? `@${row.digest.slice(0, 19)}…` : ""}`,
      row.commit?.slice(0, 12) ?? "-",
      row.actor,
      row.time.replace(/\.\d+Z$/, "Z"),
      row.reason ?? "",
    ];
  });
  const header = ["REV", "OUTCOME", "IMAGE", "COMMIT", "ACTOR", "TIME", "REASON"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
