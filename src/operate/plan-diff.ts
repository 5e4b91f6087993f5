// The writes of one plan phase as object changes: per object, what the cluster
// holds before and after, shown as a line diff of their YAML without the
// fields the API server keeps (status, resourceVersion, managedFields…).
import { stringify } from "yaml";
import type { RecordedWrite } from "../kube/dry-run-http.ts";

export interface ObjectChange {
  action: "create" | "update" | "delete";
  kind: string;
  name: string;
  /** The object as the rollout would leave it (server-kept fields removed). */
  object: Record<string, unknown>;
  /** Unified-style lines: "+ …", "- …", "  …" (context). */
  diff: string[];
}

const SERVER_KEPT = ["resourceVersion", "uid", "generation", "creationTimestamp", "managedFields", "selfLink"];

export function normalized(object: unknown): Record<string, unknown> {
  const copy = structuredClone((object ?? {}) as Record<string, unknown>);
  delete copy.status;
  const metadata = copy.metadata as Record<string, unknown> | undefined;
  if (metadata) for (const key of SERVER_KEPT) delete metadata[key];
  // The Deployment controller's revision counter: not grayctl's to write, and it moves on every template change.
  const annotations = metadata?.annotations as Record<string, string> | undefined;
  if (annotations) {
    delete annotations["deployment.kubernetes.io/revision"];
    if (Object.keys(annotations).length === 0) delete metadata?.annotations;
  }
  return copy;
}

/** Kind from the API path: /apis/apps/v1/namespaces/ns/deployments/name → Deployment. */
const KINDS: Record<string, string> = {
  deployments: "Deployment",
  services: "Service",
  configmaps: "ConfigMap",
  ingresses: "Ingress",
  virtualservices: "VirtualService",
  httproutes: "HTTPRoute",
  leases: "Lease",
  horizontalpodautoscalers: "HorizontalPodAutoscaler",
};

export function objectChanges(writes: readonly RecordedWrite[]): ObjectChange[] {
  const byPath = new Map<string, { first: RecordedWrite; last: RecordedWrite }>();
  for (const write of writes) {
    const seen = byPath.get(write.path);
    byPath.set(write.path, { first: seen?.first ?? write, last: write });
  }
  const changes: ObjectChange[] = [];
  for (const [path, { first, last }] of byPath) {
    const parts = path.split("/");
    const name = parts.at(-1) ?? "";
    const kind = KINDS[parts.at(-2) ?? ""] ?? parts.at(-2) ?? "object";
    const before = first.before ? normalized(first.before) : undefined;
    const after = normalized(last.after);
    const action = last.method === "DELETE" ? "delete" : before ? "update" : "create";
    const diff = lineDiff(before ? yamlLines(before) : [], action === "delete" ? [] : yamlLines(after));
    if (action === "update" && !diff.some((line) => line[0] !== " ")) continue;
    changes.push({ action, kind, name, object: after, diff });
  }
  return changes;
}

function yamlLines(object: unknown): string[] {
  return stringify(object, { sortMapEntries: true, lineWidth: 0 }).trimEnd().split("\n");
}

/** A line diff (longest common subsequence), keeping up to 2 lines of context around changes. */
export function lineDiff(before: string[], after: string[], context = 2): string[] {
  const rows = before.length;
  const cols = after.length;
  const lcs: number[][] = Array.from({ length: rows + 1 }, () => new Array<number>(cols + 1).fill(0));
  for (let i = rows - 1; i >= 0; i--)
    for (let j = cols - 1; j >= 0; j--)
      lcs[i][j] = before[i] === after[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const all: string[] = [];
  let i = 0;
  let j = 0;
  while (i < rows || j < cols) {
    if (i < rows && j < cols && before[i] === after[j]) {
      all.push(`  ${before[i]}`);
      i++;
      j++;
    } else if (i < rows && (j >= cols || lcs[i + 1][j] >= lcs[i][j + 1])) all.push(`- ${before[i++]}`);
    else all.push(`+ ${after[j++]}`);
  }
  const near = (index: number) =>
    all.slice(Math.max(0, index - context), index + context + 1).some((line) => line[0] !== " ");
  const kept: string[] = [];
  all.forEach((line, index) => {
    if (line[0] !== " " || near(index)) kept.push(line);
    else if (kept.at(-1) !== "  …") kept.push("  …");
  });
  return kept;
}
