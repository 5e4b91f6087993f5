// The pod template a release runs (decision 017): the team's current
// deployment.manifest with the new image, read at the start of every rollout
// (not only at the first deploy), else stable's own template — which is what a
// team that adopted its Deployment, or edits it with kubectl, keeps.
import type { V1Deployment, V1PodTemplateSpec } from "@kubernetes/client-node";
import type { RolloutContext } from "./context.ts";
import { mainContainer, stableDeployment } from "./manifests.ts";

/** The team's Deployment manifest, read now; undefined without deployment.manifest. */
export async function loadTemplate(ctx: RolloutContext): Promise<V1Deployment | undefined> {
  const manifest = ctx.config.deployment.manifest;
  if (!manifest) return undefined;
  const { loadManifest } = await import("./manifest-file.ts");
  return loadManifest(manifest, ctx.config);
}

/** The template stable gets on promotion, and the canary runs meanwhile (with stable's labels; the canary relabels it). */
export async function desiredTemplate(
  ctx: RolloutContext,
  stable: V1Deployment,
  image: string,
): Promise<V1PodTemplateSpec> {
  const manifest = await loadTemplate(ctx);
  const source = manifest ? stableDeployment(ctx.config, image, manifest) : structuredClone(stable);
  mainContainer(source, ctx.config.app).image = image;
  return source.spec!.template;
}
