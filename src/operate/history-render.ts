// `grayctl history` as text: one row per revision, newest first. The record keeps
// one entry per event (a revision promoted, then rolled back, is two entries;
// json prints them as they are); a person asks "what ran, and what became of it",
// so the entries of a revision are folded into one row. Pure.
import type { Release } from "../model/state.ts";
import { splitImage, stableLineage } from "./lineage.ts";
import { changeSummary } from "./render-changes.ts";

/** One row per record entry (json mode). */
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
    changes: release.changes,
  };
}

/** A revision with every entry recorded for it, oldest first. */
export interface RevisionRow {
  revision: number;
  /** Entries of this revision in record order: the first is its release, the last what became of it. */
  entries: Release[];
  /** Stable runs this revision now. */
  running: boolean;
}

/** Each revision once, ordered by its newest entry, newest first. */
export function revisionRows(releases: readonly Release[]): RevisionRow[] {
  const byRevision = new Map<number, Release[]>();
  const lastSeen = new Map<number, number>();
  releases.forEach((release, index) => {
    byRevision.set(release.revision, [...(byRevision.get(release.revision) ?? []), release]);
    lastSeen.set(release.revision, index);
  });
  const running = stableLineage(releases).at(-1)?.revision;
  return [...byRevision]
    .sort(([a], [b]) => lastSeen.get(b)! - lastSeen.get(a)!)
    .map(([revision, entries]) => ({ revision, entries, running: revision === running }));
}

const outcomeText = (entry: Release) =>
  entry.restoredRevision !== undefined ? `${entry.outcome} → ${entry.restoredRevision}` : entry.outcome;

/** The table's columns; a new one is one more entry here. */
const COLUMNS: { header: string; cell: (row: RevisionRow) => string }[] = [
  { header: "REV", cell: (row) => `${row.revision}${row.running ? "*" : ""}` },
  { header: "OUTCOME", cell: (row) => row.entries.map(outcomeText).join(", ") },
  {
    header: "IMAGE",
    cell: (row) => {
      const { name, digest } = splitImage(row.entries[0].image);
      return `${name ?? ""}${digest ? `@${digest.slice(0, 19)}…` : ""}`;
    },
  },
  { header: "COMMIT", cell: (row) => row.entries[0].commit?.slice(0, 12) ?? "-" },
  // Who did, and when, what became of it last.
  { header: "ACTOR", cell: (row) => row.entries.at(-1)!.actor },
  { header: "TIME", cell: (row) => row.entries.at(-1)!.time.replace(/\.\d+Z$/, "Z") },
  // What the release changed (decision 031): recorded on its first entry.
  { header: "CHANGES", cell: (row) => changeSummary(row.entries[0]) },
  { header: "REASON", cell: (row) => row.entries.at(-1)!.reason ?? "" },
];

export function renderHistory(releases: readonly Release[]): string {
  if (releases.length === 0) return "no releases recorded";
  const rows = revisionRows(releases).map((row) => COLUMNS.map((column) => column.cell(row)));
  const header = COLUMNS.map((column) => column.header);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line), "(newest first; * = what stable runs now)"].join("\n");
}
