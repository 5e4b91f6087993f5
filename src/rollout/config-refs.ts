// The ConfigMaps and Secrets a pod template reads (decision 031): through
// envFrom, env valueFrom, and configMap/secret/projected volumes, in every
// container and init container. Their content is part of the release, so a
// changed ConfigMap goes out through the canary like a new image. Pure.
import type { V1Container, V1PodTemplateSpec } from "@kubernetes/client-node";

export type ReferencedKind = "ConfigMap" | "Secret";

export interface ObjectRef {
  kind: ReferencedKind;
  name: string;
  /** Every reference to it is `optional: true`: a missing object counts as absent, not an error. */
  optional: boolean;
  /** Where the template refers to it, for the error when a required one is missing. */
  from: string;
}

/** "ConfigMap/app-config": how history and errors name a referenced object. */
export const refKey = (ref: Pick<ObjectRef, "kind" | "name">) => `${ref.kind}/${ref.name}`;

/** Every ConfigMap and Secret the template refers to, once each, sorted by kind and name. */
export function referencedObjects(template: V1PodTemplateSpec | undefined): ObjectRef[] {
  const found = new Map<string, ObjectRef>();
  const add = (kind: ReferencedKind, name: string | undefined, optional: boolean | undefined, from: string) => {
    if (!name) return;
    const key = refKey({ kind, name });
    const known = found.get(key);
    // One required reference makes the object required.
    if (known) known.optional &&= optional === true;
    else found.set(key, { kind, name, optional: optional === true, from });
  };
  const spec = template?.spec;
  const containers: [string, V1Container][] = [
    ...(spec?.initContainers ?? []).map((c) => [`initContainers[${c.name}]`, c] as [string, V1Container]),
    ...(spec?.containers ?? []).map((c) => [`containers[${c.name}]`, c] as [string, V1Container]),
  ];
  for (const [where, container] of containers) {
    for (const source of container.envFrom ?? []) {
      add("ConfigMap", source.configMapRef?.name, source.configMapRef?.optional, `${where}.envFrom`);
      add("Secret", source.secretRef?.name, source.secretRef?.optional, `${where}.envFrom`);
    }
    for (const variable of container.env ?? []) {
      const from = variable.valueFrom;
      const at = `${where}.env.${variable.name}`;
      add("ConfigMap", from?.configMapKeyRef?.name, from?.configMapKeyRef?.optional, at);
      add("Secret", from?.secretKeyRef?.name, from?.secretKeyRef?.optional, at);
    }
  }
  for (const volume of spec?.volumes ?? []) {
    const at = `volumes[${volume.name}]`;
    add("ConfigMap", volume.configMap?.name, volume.configMap?.optional, at);
    add("Secret", volume.secret?.secretName, volume.secret?.optional, at);
    for (const source of volume.projected?.sources ?? []) {
      add("ConfigMap", source.configMap?.name, source.configMap?.optional, `${at}.projected`);
      add("Secret", source.secret?.name, source.secret?.optional, `${at}.projected`);
    }
  }
  return [...found.values()].sort((a, b) => refKey(a).localeCompare(refKey(b)));
}
