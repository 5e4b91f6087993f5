// Pure builders for the objects grayctl owns: the stable Deployment (from the
// configuration or the team's manifest), the canary cloned from stable, and
// the Services per track.
import { createHash } from "node:crypto";
import type { V1Container, V1Deployment, V1PodTemplateSpec, V1Service } from "@kubernetes/client-node";
import type { Config } from "../config/schema.ts";
import { MANAGED_BY, names, type Track, trackLabels } from "../kube/names.ts";
import { CONFIG_HASH_ANNOTATION } from "./config-hash.ts";

export const IMAGE_ANNOTATION = "grayctl.dev/image";
/** A hash of the pod template grayctl last wrote, so an unchanged template is not written again. */
export const TEMPLATE_ANNOTATION = "grayctl.dev/template-hash";

export function templateHash(template: V1PodTemplateSpec | undefined): string {
  return createHash("sha256")
    .update(JSON.stringify(template ?? {}))
    .digest("hex")
    .slice(0, 16);
}

/** The container grayctl sets the image of: the one named like the app, else the first. */
export function mainContainer(deployment: V1Deployment, app: string): V1Container {
  const containers = deployment.spec?.template?.spec?.containers ?? [];
  const found = containers.find((c) => c.name === app) ?? containers[0];
  if (!found) throw new Error(`Deployment ${deployment.metadata?.name} has no containers`);
  return found;
}

export function imageOf(deployment: V1Deployment | undefined, app: string): string | undefined {
  if (!deployment) return undefined;
  return mainContainer(deployment, app).image;
}

/** How long a pod being removed keeps serving before SIGTERM (default template only). */
export const PRE_STOP_SLEEP_S = 3;

/**
 * Stable's Deployment from the team's manifest (else grayctl's default) with
 * `image`; `configHash` (the digest of the ConfigMaps and Secrets it refers
 * to) goes into the pod template before the template's own hash is taken.
 */
export function stableDeployment(
  config: Config,
  image: string,
  template?: V1Deployment,
  configHash?: string,
): V1Deployment {
  const { app } = config;
  const labels = trackLabels(app, "stable");
  const port = config.deployment.port;
  const base: V1Deployment = template
    ? structuredClone(template)
    : {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: {},
        spec: {
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [
                {
                  name: app,
                  image,
                  ports: [{ name: "http", containerPort: port }],
                  readinessProbe: {
                    httpGet: { path: config.analysis.healthz.path, port },
                    periodSeconds: 1,
                    failureThreshold: 2,
                  },
                  // A pod being removed keeps serving while its endpoint removal reaches
                  // the proxies (found on the real control plane: without it, scale-downs
                  // and stable's rolling update answered users 502). See docs/decisions.
                  lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SLEEP_S } } },
                },
              ],
            },
          },
        },
      };
  base.apiVersion = "apps/v1";
  base.kind = "Deployment";
  base.metadata = {
    ...base.metadata,
    name: names(app).stable,
    namespace: config.namespace,
    labels: { ...base.metadata?.labels, ...labels, ...MANAGED_BY },
    annotations: { ...base.metadata?.annotations, [IMAGE_ANNOTATION]: image },
  };
  const spec = base.spec!;
  spec.replicas = config.deployment.replicas;
  spec.selector = { matchLabels: { ...spec.selector?.matchLabels, ...labels } };
  spec.template.metadata = { ...spec.template.metadata, labels: { ...spec.template.metadata?.labels, ...labels } };
  // Zero-downtime rolling updates: never take a ready pod away before its replacement is ready.
  spec.strategy ??= { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } };
  mainContainer(base, app).image = image;
  withConfigHash(spec.template, configHash);
  base.metadata.annotations![TEMPLATE_ANNOTATION] = templateHash(spec.template);
  return base;
}

/** Sets (or, with nothing referenced, removes) the pod-template annotation that restarts pods when referenced content changes. */
export function withConfigHash(template: V1PodTemplateSpec, configHash: string | undefined): V1PodTemplateSpec {
  const { [CONFIG_HASH_ANNOTATION]: old, ...others } = template.metadata?.annotations ?? {};
  // Untouched when there is nothing to set or remove: a template read back compares equal to itself.
  if (old === configHash) return template;
  const annotations = configHash ? { ...others, [CONFIG_HASH_ANNOTATION]: configHash } : others;
  template.metadata = { ...template.metadata, annotations };
  if (Object.keys(annotations).length === 0) delete template.metadata.annotations;
  return template;
}

/** The canary: stable's spec with `template` (the current manifest's, else stable's own) and the new image. */
export function canaryDeployment(
  stable: V1Deployment,
  app: string,
  image: string,
  replicas: number,
  template?: V1PodTemplateSpec,
): V1Deployment {
  const labels = trackLabels(app, "canary");
  const spec = structuredClone(stable.spec!);
  if (template) spec.template = structuredClone(template);
  spec.replicas = replicas;
  spec.selector = { matchLabels: { ...stable.spec?.selector?.matchLabels, ...labels } };
  spec.template.metadata = { ...spec.template.metadata, labels: { ...spec.template.metadata?.labels, ...labels } };
  const canary: V1Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: names(app).canary,
      namespace: stable.metadata?.namespace,
      labels: { ...stable.metadata?.labels, ...labels, ...MANAGED_BY },
      annotations: { [IMAGE_ANNOTATION]: image },
    },
    spec,
  };
  mainContainer(canary, app).image = image;
  return canary;
}

export function trackService(config: Config, track: Track | "both"): V1Service {
  const { app } = config;
  const n = names(app);
  const name = track === "both" ? n.service : track === "stable" ? n.stableService : n.canaryService;
  const selector = track === "both" ? { app } : trackLabels(app, track);
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: config.namespace, labels: { app, ...MANAGED_BY } },
    spec: { selector, ports: [{ name: "http", port: 80, targetPort: config.deployment.port }] },
  };
}
