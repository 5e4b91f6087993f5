// In-memory object store with the semantics grayctl relies on from a real API
// server: one global resourceVersion, 409 on stale writes, generation bumps on
// spec changes, and watch streams. All reads return deep copies, so callers can
// never mutate stored state by accident.
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { matchesSelectorString } from "./labels.ts";
import { apiVersionOf, type ResourceType } from "./resources.ts";

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  // biome-ignore lint/suspicious/noExplicitAny: objects are unstructured by nature
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: objects are unstructured by nature
  status?: any;
  [key: string]: unknown;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";
export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

/** An API error with the fields of a Kubernetes Status object. */
export class StoreError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details?: { name?: string; group?: string; kind?: string };
  constructor(code: number, reason: string, message: string, details?: StoreError["details"]) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }
  toStatus() {
    return {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      details: this.details,
      code: this.code,
    };
  }
}

const clone = <T>(value: T): T => structuredClone(value);
const keyOf = (t: ResourceType) => `${t.group}/${t.plural}`;
const SPEC_EXCLUDED = new Set(["metadata", "status", "apiVersion", "kind"]);

/** Everything but metadata and status: what counts as "spec" for generation bumps. */
function specPart(obj: KubeObject): string {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (!SPEC_EXCLUDED.has(k)) rest[k] = v;
  return JSON.stringify(rest);
}

function notFound(t: ResourceType, name: string): StoreError {
  const resource = t.group ? `${t.plural}.${t.group}` : t.plural;
  return new StoreError(404, "NotFound", `${resource} "${name}" not found`, { name, group: t.group, kind: t.plural });
}

export class Store {
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly events = new EventEmitter();
  private revision = 1;

  constructor() {
    this.events.setMaxListeners(0);
  }

  get resourceVersion(): string {
    return String(this.revision);
  }

  private bucket(t: ResourceType): Map<string, KubeObject> {
    let bucket = this.objects.get(keyOf(t));
    if (!bucket) {
      bucket = new Map();
      this.objects.set(keyOf(t), bucket);
    }
    return bucket;
  }

  private id(t: ResourceType, namespace: string | undefined, name: string): string {
    return t.namespaced ? `${namespace ?? "default"}/${name}` : name;
  }

  get(t: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.bucket(t).get(this.id(t, namespace, name));
    return found ? clone(found) : undefined;
  }

  mustGet(t: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.get(t, namespace, name);
    if (!found) throw notFound(t, name);
    return found;
  }

  /** namespace undefined lists across all namespaces. */
  list(t: ResourceType, namespace?: string, labelSelector?: string): KubeObject[] {
    const items: KubeObject[] = [];
    for (const obj of this.bucket(t).values()) {
      if (t.namespaced && namespace !== undefined && obj.metadata.namespace !== namespace) continue;
      if (!matchesSelectorString(obj.metadata.labels, labelSelector)) continue;
      items.push(clone(obj));
    }
    return items.sort((a, b) => (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""));
  }

  create(t: ResourceType, namespace: string | undefined, input: KubeObject): KubeObject {
    const obj = clone(input);
    obj.metadata = obj.metadata ?? {};
    if (!obj.metadata.name && obj.metadata.generateName) {
      obj.metadata.name = `${obj.metadata.generateName}${randomUUID().slice(0, 5)}`;
    }
    const name = obj.metadata.name;
    if (!name) throw new StoreError(422, "Invalid", `${t.kind} is invalid: metadata.name: Required value`);
    const id = this.id(t, namespace, name);
    if (this.bucket(t).has(id)) {
      const resource = t.group ? `${t.plural}.${t.group}` : t.plural;
      throw new StoreError(409, "AlreadyExists", `${resource} "${name}" already exists`, {
        name,
        group: t.group,
        kind: t.plural,
      });
    }
    obj.apiVersion = apiVersionOf(t);
    obj.kind = t.kind;
    if (t.namespaced) obj.metadata.namespace = namespace ?? "default";
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = new Date().toISOString();
    if (t.tracksGeneration) obj.metadata.generation = 1;
    obj.metadata.resourceVersion = String(++this.revision);
    this.bucket(t).set(id, obj);
    this.emit(t, "ADDED", obj);
    return clone(obj);
  }

  /**
   * Replaces an object. A resourceVersion in the input must match the stored one
   * (409 otherwise); without one the write is unconditional, as in Kubernetes.
   * `subresource: "status"` changes only status; a main-resource update keeps
   * the stored status when the type has a status subresource.
   */
  update(t: ResourceType, namespace: string | undefined, input: KubeObject, subresource?: "status"): KubeObject {
    const name = input.metadata?.name;
    if (!name) throw new StoreError(422, "Invalid", `${t.kind} is invalid: metadata.name: Required value`);
    const id = this.id(t, namespace, name);
    const current = this.bucket(t).get(id);
    if (!current) throw notFound(t, name);
    const wanted = input.metadata.resourceVersion;
    if (wanted !== undefined && wanted !== "" && wanted !== current.metadata.resourceVersion) {
      const resource = t.group ? `${t.plural}.${t.group}` : t.plural;
      throw new StoreError(
        409,
        "Conflict",
        `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, group: t.group, kind: t.plural },
      );
    }
    let next: KubeObject;
    if (subresource === "status") {
      next = clone(current);
      next.status = clone(input.status);
    } else {
      next = clone(input);
      if (t.statusSubresource) next.status = clone(current.status);
      // Server-owned metadata survives a replace.
      next.metadata = {
        ...next.metadata,
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        namespace: current.metadata.namespace,
        generation: current.metadata.generation,
        deletionTimestamp: current.metadata.deletionTimestamp,
      };
      if (t.tracksGeneration && specPart(next) !== specPart(current)) {
        next.metadata.generation = (current.metadata.generation ?? 0) + 1;
      }
    }
    next.apiVersion = apiVersionOf(t);
    next.kind = t.kind;
    if (JSON.stringify(next) === JSON.stringify(current)) return clone(current); // no-op writes do not bump the version
    next.metadata.resourceVersion = String(++this.revision);
    this.bucket(t).set(id, next);
    this.emit(t, "MODIFIED", next);
    return clone(next);
  }

  /** Read-modify-write for in-process controllers; never conflicts. Returns undefined if gone. */
  mutate(
    t: ResourceType,
    namespace: string | undefined,
    name: string,
    change: (obj: KubeObject) => void,
    subresource?: "status",
  ): KubeObject | undefined {
    const current = this.get(t, namespace, name);
    if (!current) return undefined;
    change(current);
    return this.update(t, namespace, current, subresource);
  }

  /**
   * Graceful deletion, as the API server does it for running pods: the object
   * stays, with deletionTimestamp set, until its runtime removes it. `change`
   * may adjust it in the same write (e.g. Ready=False). Undefined if gone;
   * a second call keeps the first timestamp.
   */
  markDeleting(
    t: ResourceType,
    namespace: string | undefined,
    name: string,
    gracePeriodSeconds: number,
    change?: (obj: KubeObject) => void,
  ): KubeObject | undefined {
    const id = this.id(t, namespace, name);
    const current = this.bucket(t).get(id);
    if (!current) return undefined;
    if (current.metadata.deletionTimestamp) return clone(current);
    const next = clone(current);
    next.metadata.deletionTimestamp = new Date().toISOString();
    next.metadata.deletionGracePeriodSeconds = gracePeriodSeconds;
    change?.(next);
    next.metadata.resourceVersion = String(++this.revision);
    this.bucket(t).set(id, next);
    this.emit(t, "MODIFIED", next);
    return clone(next);
  }

  delete(t: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const id = this.id(t, namespace, name);
    const current = this.bucket(t).get(id);
    if (!current) throw notFound(t, name);
    this.bucket(t).delete(id);
    const gone = clone(current);
    gone.metadata.resourceVersion = String(++this.revision);
    this.emit(t, "DELETED", gone);
    return clone(gone);
  }

  /**
   * For a store that mirrors a real API server (sandbox/mirror.ts): keeps the
   * object exactly as given (uid, resourceVersion, generation, status: nothing
   * assigned here, the store's own resourceVersion untouched) and emits ADDED,
   * or MODIFIED when it replaces a different copy. Returns the event emitted;
   * undefined when the stored copy has the same resourceVersion (or, without
   * one, the same content).
   */
  putVerbatim(t: ResourceType, object: KubeObject): WatchEventType | undefined {
    const name = object.metadata?.name;
    if (!name) throw new StoreError(422, "Invalid", `${t.kind} is invalid: metadata.name: Required value`);
    const id = this.id(t, object.metadata.namespace, name);
    const current = this.bucket(t).get(id);
    if (current) {
      const version = object.metadata.resourceVersion;
      if (version ? version === current.metadata.resourceVersion : JSON.stringify(object) === JSON.stringify(current))
        return undefined;
    }
    const next = clone(object);
    this.bucket(t).set(id, next);
    const type = current ? "MODIFIED" : "ADDED";
    this.emit(t, type, next);
    return type;
  }

  /**
   * The mirror's deletion: removes the object and emits DELETED carrying
   * `object` verbatim (the server's last state of it). False if it was not here.
   */
  removeVerbatim(t: ResourceType, object: KubeObject): boolean {
    const name = object.metadata?.name;
    if (!name) return false;
    const id = this.id(t, object.metadata.namespace, name);
    if (!this.bucket(t).delete(id)) return false;
    this.emit(t, "DELETED", clone(object));
    return true;
  }

  /** Subscribes to changes of one type; namespace undefined watches all namespaces. */
  watch(
    t: ResourceType,
    namespace: string | undefined,
    labelSelector: string | undefined,
    listener: (event: WatchEvent) => void,
  ): () => void {
    const channel = keyOf(t);
    const handler = (event: WatchEvent) => {
      if (t.namespaced && namespace !== undefined && event.object.metadata.namespace !== namespace) return;
      if (!matchesSelectorString(event.object.metadata.labels, labelSelector)) return;
      listener(clone(event));
    };
    this.events.on(channel, handler);
    return () => this.events.off(channel, handler);
  }

  private emit(t: ResourceType, type: WatchEventType, obj: KubeObject): void {
    this.events.emit(keyOf(t), { type, object: obj });
  }
}
