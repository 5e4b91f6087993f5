// What a release changed, as the history shows it (decision 031): "image",
// the template's field paths, the referenced ConfigMaps and Secrets by name.
// Kept apart from render.ts so any history layout can call it. Pure.
import type { Release } from "../model/state.ts";

/** "image, spec.containers[app].env.LOG_LEVEL, ConfigMap/app-config"; "-" for entries from before changes were recorded. */
export function changeSummary(release: Pick<Release, "changes">): string {
  const changes = release.changes;
  if (!changes) return "-";
  const parts = [...(changes.image ? ["image"] : []), ...(changes.template ?? []), ...(changes.objects ?? [])];
  return parts.length > 0 ? parts.join(", ") : "-";
}
