// One routing custom resource (a VirtualService or an HTTPRoute) read and
// written through KubernetesObjectApi: custom resources answer 415 to the
// strategic-merge patches the typed clients send, and a merge patch would
// replace the whole routes array from a possibly stale read. So every change is
// read-modify-replace carrying the resourceVersion that was read: one write,
// and a 409 (someone else wrote in between) re-reads and applies the change again.
import type { KubernetesObject } from "@kubernetes/client-node";
import { GrayctlError } from "../errors.ts";
import type { Cluster } from "../kube/cluster.ts";
import { isNotFound } from "../kube/errors.ts";
import type { Pin } from "./pin.ts";

/** Who splits with whom: the Services of the two tracks, and the pin (pin.ts) when one is configured. */
export interface Split {
  namespace: string;
  pin?: Pin;
  stable: string;
  canary: string;
}

export interface RouteObject<Spec> extends KubernetesObject {
  spec?: Spec;
}

export class RouteObjects<Spec> {
  private readonly cluster: Cluster;
  private readonly header: { apiVersion: string; kind: string; metadata: { name: string; namespace: string } };

  constructor(cluster: Cluster, apiVersion: string, kind: string, name: string) {
    this.cluster = cluster;
    this.header = { apiVersion, kind, metadata: { name, namespace: cluster.namespace } };
  }

  /** "VirtualService shop", for messages. */
  get label(): string {
    return `${this.header.kind} ${this.header.metadata.name}`;
  }

  private get api() {
    return this.cluster.clients.objects;
  }

  private get(): Promise<RouteObject<Spec>> {
    return this.api.read<RouteObject<Spec>>(this.header);
  }

  read(): Promise<RouteObject<Spec> | undefined> {
    return this.cluster.read(`read ${this.label}`, () => this.get());
  }

  /** Creates the object, or returns the one already there (a retried create, or another writer first). */
  createOrGet(body: RouteObject<Spec>): Promise<RouteObject<Spec>> {
    return this.cluster.createOrGet(
      `create ${this.label}`,
      () => this.api.create(body),
      () => this.get(),
    );
  }

  /**
   * Applies `change` to the current spec in one write. `change` returns undefined
   * when the spec already says what it should, so repeating a change writes nothing.
   * Returns false when the object does not exist.
   */
  async update(what: string, change: (spec: Spec) => Spec | undefined): Promise<boolean> {
    try {
      await this.cluster.update(
        `${what} on ${this.label}`,
        () => this.get(),
        (current) => {
          const spec = change((current.spec ?? {}) as Spec);
          return spec === undefined ? undefined : { ...current, spec };
        },
        (next) => this.api.replace(next),
      );
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** update() for an object that must exist: a missing one is named, with what to do. */
  async mustUpdate(what: string, change: (spec: Spec) => Spec | undefined): Promise<void> {
    if (await this.update(what, change)) return;
    throw new GrayctlError(`cannot ${what}: ${this.label} does not exist in namespace ${this.cluster.namespace}`, {
      hint: "Run `grayctl rollout` to create it (or create it yourself with a route to the stable Service).",
    });
  }
}

/** Identical specs need no write. Keys are compared sorted: API servers return custom resources with sorted keys. */
export function sameSpec(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}
