// What makes a release (decision 031): the image, the pod template, and the
// content of the ConfigMaps and Secrets the template refers to. "Nothing to
// do" only when all three are what stable runs; otherwise the release goes
// through the canary, and its history entry names what changed. Pure.
import type { V1Container, V1Deployment, V1PodTemplateSpec } from "@kubernetes/client-node";
import type { ConfigDigest } from "./config-hash.ts";
import { CONFIG_HASH_ANNOTATION } from "./config-hash.ts";
import { mainContainer, TEMPLATE_ANNOTATION, templateHash } from "./manifests.ts";
import { currentRelease, type ReleaseChanges, type StoredState } from "../model/state.ts";
import type { DesiredRelease } from "./templates.ts";

/**
 * Stable runs `template` already: by the hash grayctl wrote with it (a template
 * built from the manifest; the API server fills in defaults, so never as read),
 * or as read (stable's own template, without a manifest).
 */
export function stableRunsTemplate(stable: V1Deployment, template: V1PodTemplateSpec): boolean {
  return (
    stable.metadata?.annotations?.[TEMPLATE_ANNOTATION] === templateHash(template) ||
    JSON.stringify(stable.spec?.template) === JSON.stringify(template)
  );
}

/** The changes of `release` against stable and the release it runs now (from the history). */
export function changesOf(
  app: string,
  stored: StoredState,
  stable: V1Deployment,
  stableImage: string | undefined,
  image: string,
  release: DesiredRelease,
): ReleaseChanges {
  const current = currentRelease(stored.history);
  // The recorded template is what grayctl wrote (no server defaults): it diffs cleanly against the manifest's.
  const recorded = current?.template && stableRunsTemplate(stable, current.template) ? current : undefined;
  return releaseChanges({
    app,
    stableImage,
    image,
    previousTemplate: recorded?.template ?? stable.spec?.template,
    template: release.template,
    previousDigests: recorded?.configDigests,
    config: release.config,
  });
}

/** One line for people: "image a → b; template spec.containers[app].env.X; ConfigMap/app-config". */
export function describeChanges(changes: ReleaseChanges): string {
  const parts: string[] = [];
  if (changes.image) parts.push(`image ${changes.image.from ?? "none"} → ${changes.image.to}`);
  if (changes.template?.length) parts.push(`template ${changes.template.join(", ")}`);
  if (changes.objects?.length) parts.push(changes.objects.join(", "));
  return parts.join("; ") || "nothing recorded";
}

export interface ChangeInput {
  app: string;
  stableImage?: string;
  image: string;
  /** What stable runs: the current release's recorded template when known, else stable's as read. */
  previousTemplate?: V1PodTemplateSpec;
  template: V1PodTemplateSpec;
  /** The current release's per-object digests (absent in older records). */
  previousDigests?: Record<string, string>;
  config: ConfigDigest;
}

/** What the release changes, for history; empty lists are left out. */
export function releaseChanges(input: ChangeInput): ReleaseChanges {
  const changes: ReleaseChanges = {};
  if (input.stableImage !== input.image) changes.image = { from: input.stableImage, to: input.image };
  const fields = input.previousTemplate ? templateChanges(input.previousTemplate, input.template, input.app) : [];
  if (fields.length > 0) changes.template = fields;
  const objects = objectChanges(input.previousTemplate, input.previousDigests, input.config);
  if (objects.length > 0) changes.objects = objects;
  return changes;
}

/** Referenced objects whose digest differs, added or dropped references included; names only. */
function objectChanges(
  previousTemplate: V1PodTemplateSpec | undefined,
  previousDigests: Record<string, string> | undefined,
  config: ConfigDigest,
): string[] {
  if (previousDigests) {
    const keys = new Set([...Object.keys(previousDigests), ...Object.keys(config.objects)]);
    return [...keys].filter((key) => previousDigests[key] !== config.objects[key]).sort();
  }
  // An older record without per-object digests: the template's digest says whether, not which.
  const before = previousTemplate?.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
  return before === config.hash ? [] : Object.keys(config.objects);
}

/**
 * Field paths that differ between two pod templates, as a person reads them:
 * `spec.containers[app].env.LOG_LEVEL`, `spec.containers[app].resources`,
 * `spec.volumes`, `metadata.labels.team`. The main container's image and the
 * config-hash annotation are reported on their own (image, objects).
 */
export function templateChanges(before: V1PodTemplateSpec, after: V1PodTemplateSpec, app: string): string[] {
  const paths: string[] = [];
  for (const part of ["labels", "annotations"] as const) {
    const a = before.metadata?.[part] ?? {};
    const b = after.metadata?.[part] ?? {};
    for (const key of union(a, b))
      if (key !== CONFIG_HASH_ANNOTATION && a[key] !== b[key]) paths.push(`metadata.${part}.${key}`);
  }
  const a = (before.spec ?? {}) as Record<string, unknown>;
  const b = (after.spec ?? {}) as Record<string, unknown>;
  const main = after.spec?.containers?.length
    ? mainContainer({ spec: { template: after } } as V1Deployment, app)
    : undefined;
  for (const key of union(a, b)) {
    if (key === "containers" || key === "initContainers") {
      paths.push(...containerChanges(`spec.${key}`, a[key] as V1Container[], b[key] as V1Container[], main?.name));
    } else if (differ(a[key], b[key])) paths.push(`spec.${key}`);
  }
  return paths;
}

function containerChanges(at: string, before: V1Container[] = [], after: V1Container[] = [], main?: string): string[] {
  const paths: string[] = [];
  const byName = (list: V1Container[]) => new Map(list.map((c) => [c.name, c]));
  const a = byName(before);
  const b = byName(after);
  for (const name of new Set([...a.keys(), ...b.keys()])) {
    const was = a.get(name) as Record<string, unknown> | undefined;
    const is = b.get(name) as Record<string, unknown> | undefined;
    if (!was || !is) {
      paths.push(`${at}[${name}]`);
      continue;
    }
    for (const key of union(was, is)) {
      if (key === "image" && name === main) continue;
      if (key === "env") paths.push(...envChanges(`${at}[${name}].env`, was.env, is.env));
      else if (differ(was[key], is[key])) paths.push(`${at}[${name}].${key}`);
    }
  }
  return paths;
}

function envChanges(at: string, before: unknown, after: unknown): string[] {
  const byName = (list: unknown) =>
    new Map(((list as { name: string }[] | undefined) ?? []).map((variable) => [variable.name, variable]));
  const a = byName(before);
  const b = byName(after);
  return [...new Set([...a.keys(), ...b.keys()])]
    .filter((name) => differ(a.get(name), b.get(name)))
    .map((n) => `${at}.${n}`);
}

const union = (a: object, b: object) => [...new Set([...Object.keys(a), ...Object.keys(b)])];
const differ = (a: unknown, b: unknown) => JSON.stringify(a ?? null) !== JSON.stringify(b ?? null);
