// Each target's configuration (issue 22): the top-level document with the
// target's `set:` overrides and namespace applied, validated as a whole
// configuration is, so that `set: { deployment.replicas: 0 }` is refused with
// its field named, exactly as `--set deployment.replicas=0` would be.
import type { ConfigIssue } from "../errors.ts";
import { describeIssue, formatPath } from "./issues.ts";
import { applyOverride } from "./overrides.ts";
import { parseSetPath } from "./set-path.ts";
import { type Config, configSchema } from "./schema.ts";

export interface ResolvedTarget {
  name: string;
  /** The kubeconfig context (undefined: the kubeconfig's current one). */
  context?: string;
  /** The kubeconfig file (undefined: --kubeconfig, $KUBECONFIG or ~/.kube/config). */
  kubeconfig?: string;
  /** The whole configuration of the app in this target. */
  config: Config;
  /** Whether the file, -n or the target names the namespace; if not, the target's kubeconfig context's applies. */
  namespaceGiven: boolean;
}

/** The fields of the release as a whole: a target's configuration is the rest. */
const RELEASE_FIELDS = ["targets", "waves", "onWaveFailure", "recordIn"] as const;

export function resolveTargets(
  document: Record<string, unknown>,
  config: Pick<Config, "targets">,
  locate: (path: (string | number)[]) => string,
): { targets: ResolvedTarget[]; issues: ConfigIssue[] } {
  const targets: ResolvedTarget[] = [];
  const issues: ConfigIssue[] = [];
  (config.targets ?? []).forEach((target, index) => {
    const own: Record<string, unknown> = structuredClone(document);
    for (const field of RELEASE_FIELDS) delete own[field];
    const setAt = new Map<string, (string | number)[]>();
    for (const [text, value] of Object.entries(target.set)) {
      const path = parseSetPath(text)!;
      applyOverride(own, { path, value, source: `targets[${index}].set` });
      setAt.set(formatPath(path), ["targets", index, "set", text]);
    }
    if (target.namespace !== undefined) own.namespace = target.namespace;
    const result = configSchema.safeParse(own, { reportInput: true });
    if (!result.success) {
      for (const issue of result.error.issues) {
        for (const text of describeIssue(issue)) {
          const field = formatPath(text.path);
          // Point at the override that made the field wrong, else at the target's namespace or the top-level field.
          const fromSet = [...setAt.entries()].find(([prefix]) => field === prefix || field.startsWith(`${prefix}.`));
          const path = fromSet
            ? fromSet[1]
            : field === "namespace" && target.namespace !== undefined
              ? ["targets", index, "namespace"]
              : text.path;
          issues.push({
            path: fromSet ? `targets[${index}].set.${field}` : formatPath(path),
            message: `${text.message} (in target ${target.name})`,
            location: locate(path),
          });
        }
      }
      return;
    }
    targets.push({
      name: target.name,
      context: target.context,
      kubeconfig: target.kubeconfig,
      config: result.data,
      namespaceGiven: own.namespace !== undefined,
    });
  });
  return { targets, issues };
}
