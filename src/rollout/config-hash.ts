// The content of the ConfigMaps and Secrets a pod template refers to, as one
// digest that goes into the template (grayctl.dev/config-hash), so a changed
// ConfigMap changes the template: the canary's pods start with the new content
// and the release goes through the steps and gates (decision 031).
//
// A Secret's content is never stored or printed, only digested, and the digest
// is keyed: HMAC-SHA256 over the Secret's whole content, keyed with its
// metadata.uid (random, and readable only by those who can read the Secret
// itself), so nobody who sees the annotation or the history can test guesses
// of a short password against it.
import { createHash, createHmac, randomBytes } from "node:crypto";
import type { V1ConfigMap, V1PodTemplateSpec, V1Secret } from "@kubernetes/client-node";
import { UsageError } from "../errors.ts";
import type { Cluster } from "../kube/cluster.ts";
import { describeApiError } from "../kube/errors.ts";
import { type ObjectRef, refKey, referencedObjects } from "./config-refs.ts";

/** The pod-template annotation carrying the digest of everything the template refers to. */
export const CONFIG_HASH_ANNOTATION = "grayctl.dev/config-hash";

export interface ConfigDigest {
  /** One digest over every referenced object; undefined when the template refers to none. */
  hash?: string;
  /** Per object ("ConfigMap/app-config"), keyed like the whole, for history to name what changed. */
  objects: Record<string, string>;
}

/** A missing optional object is absent, and that is part of the release too (its appearing is a change). */
const ABSENT = "absent";

/** Reads every referenced object (in parallel) and digests it; a missing required one is exit 2, before any write. */
export async function digestReferences(
  cluster: Cluster,
  namespace: string,
  template: V1PodTemplateSpec | undefined,
  onForbidden: (ref: ObjectRef) => void = () => {},
): Promise<ConfigDigest> {
  const refs = referencedObjects(template);
  if (refs.length === 0) return { objects: {} };
  const digests = await Promise.all(refs.map((ref) => digestOne(cluster, namespace, ref, onForbidden)));
  const objects = Object.fromEntries(refs.map((ref, i) => [refKey(ref), digests[i]]));
  const hash = createHash("sha256")
    .update(
      Object.entries(objects)
        .map(([key, digest]) => `${key}=${digest}\n`)
        .join(""),
    )
    .digest("hex")
    .slice(0, 32);
  return { hash, objects };
}

/** Stands for an object the Role may not read: the same every time, so it alone never makes a release. */
const UNREADABLE = "unreadable";

async function digestOne(
  cluster: Cluster,
  namespace: string,
  ref: ObjectRef,
  onForbidden: (ref: ObjectRef) => void,
): Promise<string> {
  let object: V1ConfigMap | V1Secret | undefined;
  try {
    object = ref.kind === "Secret" ? await cluster.getSecret(ref.name) : await cluster.getConfigMap(ref.name);
  } catch (error) {
    // A Role from before grayctl read Secrets (403) is not a reason to fail a rollout (as for autoscalers):
    // said, and that object's content is left out of the release, as it was before.
    if (describeApiError(error).code !== 403) throw error;
    onForbidden(ref);
    return UNREADABLE;
  }
  if (!object) {
    if (ref.optional) return ABSENT;
    throw new UsageError(
      `the pod template's ${ref.from} refers to ${ref.kind} ${ref.name}, which does not exist in namespace ${namespace}`,
      `Create ${ref.kind} ${ref.name} first, or mark the reference \`optional: true\`. Nothing was changed.`,
    );
  }
  const content = canonical({ data: object.data ?? {}, binaryData: "binaryData" in object ? object.binaryData : {} });
  // A Secret's key is its uid (an API server always sets one; without it, a key nobody knows: every run is a release).
  const key = ref.kind === "Secret" ? `Secret ${object.metadata?.uid ?? randomBytes(32).toString("hex")}` : "ConfigMap";
  return createHmac("sha256", key).update(content).digest("hex").slice(0, 32);
}

/** JSON with sorted keys, so the same content always digests the same. */
function canonical(value: Record<string, Record<string, string> | undefined>): string {
  const sorted = (map: Record<string, string> | undefined) =>
    Object.fromEntries(Object.entries(map ?? {}).sort(([a], [b]) => a.localeCompare(b)));
  return JSON.stringify({ data: sorted(value.data), binaryData: sorted(value.binaryData) });
}
