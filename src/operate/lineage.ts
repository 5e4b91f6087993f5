// Pure decisions for `grayctl rollback` when no rollout is in flight: which
// release stable runs and which one a rollback returns to. Unit-tested.
import type { Release } from "../model/state.ts";

/**
 * The releases stable has run, oldest first, with undone ones removed: a
 * promotion pushes, a rollback to revision N pops back to N. The last entry
 * is what stable runs; the one before it is what a rollback returns to.
 */
export function stableLineage(history: readonly Release[]): Release[] {
  const lineage: Release[] = [];
  for (const entry of history) {
    if (entry.outcome === "deployed" || entry.outcome === "promoted") {
      lineage.push(entry);
    } else if (entry.restoredRevision !== undefined) {
      const at = lineage.findIndex((r) => r.revision === entry.restoredRevision);
      if (at >= 0) lineage.splice(at + 1);
      else {
        const restored = history.find((h) => h.revision === entry.restoredRevision && h.outcome !== "rolled-back");
        if (restored) lineage.push(restored);
      }
    }
    // A rolled-back canary (no restoredRevision) never reached stable: nothing changes.
  }
  return lineage;
}

export type RollbackPlan =
  | { kind: "restore"; from: Release; to: Release }
  | { kind: "nothing"; message: string }
  | { kind: "refuse"; message: string; hint?: string };

/**
 * Rolling back twice is a no-op: when the newest history entry is already a
 * rollback, the default target is "stay". Going further back is explicit
 * (`--to-revision N`), so two people running rollback in an incident never
 * take stable back two releases.
 */
export function planRollback(history: readonly Release[], toRevision?: number): RollbackPlan {
  const lineage = stableLineage(history);
  const current = lineage.at(-1);
  if (!current) {
    return {
      kind: "refuse",
      message: "no release is recorded, so there is nothing to roll back to",
      hint: "See `grayctl history`.",
    };
  }
  if (toRevision !== undefined) {
    const target = history.find(
      (h) => h.revision === toRevision && (h.outcome === "deployed" || h.outcome === "promoted"),
    );
    if (!target) {
      const known = [...new Set(history.filter((h) => h.outcome !== "rolled-back").map((h) => h.revision))].join(", ");
      return {
        kind: "refuse",
        message: `--to-revision: revision ${toRevision} was never deployed or promoted (released revisions: ${known || "none"})`,
        hint: "See `grayctl history`.",
      };
    }
    if (target.revision === current.revision) {
      return {
        kind: "nothing",
        message: `stable already runs revision ${current.revision} (${current.image}); nothing to roll back`,
      };
    }
    return { kind: "restore", from: current, to: target };
  }
  const last = history.at(-1);
  if (last?.outcome === "rolled-back") {
    return {
      kind: "nothing",
      message: `revision ${last.revision} was already rolled back; stable runs revision ${current.revision} (${current.image}); nothing to roll back (go further back with --to-revision N)`,
    };
  }
  const previous = lineage.at(-2);
  if (!previous) {
    return {
      kind: "nothing",
      message: `revision ${current.revision} (${current.image}) is the first release; there is nothing older to roll back to`,
    };
  }
  return { kind: "restore", from: current, to: previous };
}

/** "repo:tag@sha256:…" → { repository: "repo:tag", digest: "sha256:…" }. */
export function splitImage(image: string | undefined): { name?: string; digest?: string } {
  if (!image) return {};
  const at = image.indexOf("@");
  return at < 0 ? { name: image } : { name: image.slice(0, at), digest: image.slice(at + 1) };
}
