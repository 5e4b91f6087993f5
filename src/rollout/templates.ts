// The pod template a release runs (decisions 017 and 031): the team's current
// deployment.manifest with the new image, read at the start of every rollout
// (not only at the first deploy), else stable's own template — which is what a
// team that adopted its Deployment, or edits it with kubectl, keeps — with the
// digest of the ConfigMaps and Secrets it refers to in its annotations.
import type { V1Deployment, V1PodTemplateSpec } from "@kubernetes/client-node";
import { type ConfigDigest, digestReferences } from "./config-hash.ts";
import type { RolloutContext } from "./context.ts";
import { mainContainer, stableDeployment, withConfigHash } from "./manifests.ts";

/** The team's Deployment manifest, read now; undefined without deployment.manifest. */
export async function loadTemplate(ctx: RolloutContext): Promise<V1Deployment | undefined> {
  const manifest = ctx.config.deployment.manifest;
  if (!manifest) return undefined;
  const { loadManifest } = await import("./manifest-file.ts");
  return loadManifest(manifest, ctx.config);
}

/** What a release puts in the cluster: stable's Deployment as it would be created, its pod template, and the referenced content. */
export interface DesiredRelease {
  /** Stable's whole Deployment for a first deploy (manifest or default), with the template below. */
  deployment: V1Deployment;
  /** The template stable gets on promotion, and the canary runs meanwhile (with stable's labels; the canary relabels it). */
  template: V1PodTemplateSpec;
  config: ConfigDigest;
}

/**
 * The release of `image` against `stable` (undefined before the first deploy).
 * A required ConfigMap or Secret that is missing is a UsageError (exit 2) naming it.
 */
export async function desiredRelease(
  ctx: RolloutContext,
  stable: V1Deployment | undefined,
  image: string,
): Promise<DesiredRelease> {
  const { config } = ctx;
  const manifest = await loadTemplate(ctx);
  const draft = manifest || !stable ? stableDeployment(config, image, manifest) : structuredClone(stable);
  mainContainer(draft, config.app).image = image;
  const digest = await digestReferences(ctx.cluster, config.namespace, draft.spec?.template, (ref) =>
    warnOnce(
      ctx,
      `cannot get ${ref.kind} ${ref.name} (forbidden): a change to its content is not a release until templates/rbac.yaml is applied again to grant it`,
    ),
  );
  const deployment =
    manifest || !stable
      ? stableDeployment(config, image, manifest, digest.hash)
      : { ...draft, spec: { ...draft.spec!, template: withConfigHash(draft.spec!.template, digest.hash) } };
  return { deployment, template: deployment.spec!.template, config: digest };
}

/** A command decides its release more than once (the check before the Lease, then the run): one warning each. */
const warned = new Set<string>();
function warnOnce(ctx: RolloutContext, message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  ctx.reporter.warn(message);
}

/** The template alone (grayctl plan shows it). */
export async function desiredTemplate(
  ctx: RolloutContext,
  stable: V1Deployment,
  image: string,
): Promise<V1PodTemplateSpec> {
  return (await desiredRelease(ctx, stable, image)).template;
}
