// ingress-nginx: the app's Ingress sends traffic to the stable Service; a second
// Ingress with canary annotations sends `canary-weight` % to the canary Service
// and, with traffic.pin, the requests whose pin header carries the secret value
// (`canary-by-header` + `canary-by-header-value`: with a value set, nginx ignores
// every other value of the header, "always" included). A main Ingress that
// exists is adopted untouched; one that does not is created and marked as ours.
// The canary copies only the main Ingress's paths to stable, again on every write.
import type { V1Ingress, V1IngressRule } from "@kubernetes/client-node";
import type { Config } from "../config/schema.ts";
import { UsageError } from "../errors.ts";
import { type Cluster, MERGE } from "../kube/cluster.ts";
import { describeApiError } from "../kube/errors.ts";
import { MANAGED_BY, names } from "../kube/names.ts";
import {
  CANARY_ANNOTATION,
  type CanaryShape,
  CLASS_ANNOTATION,
  canaryShape,
  hasShape,
  hostsOf,
  otherCanary,
} from "./nginx-canary.ts";
import { type Pin, pinOf } from "./pin.ts";
import { proportionalReplicas, type ReplicaPlan, type TrafficRouter } from "./types.ts";

const PREFIX = "nginx.ingress.kubernetes.io";
export const CANARY_WEIGHT = `${PREFIX}/canary-weight`;
const BY_HEADER = `${PREFIX}/canary-by-header`;
const BY_HEADER_VALUE = `${PREFIX}/canary-by-header-value`;
const BY_HEADER_PATTERN = `${PREFIX}/canary-by-header-pattern`;

/**
 * The pinning annotations the canary Ingress should carry: the header and its
 * secret value, or none at all (null removes them in a merge patch: an open
 * `canary-by-header` of an older version goes). Undefined without the secret
 * at hand (its variable unset here): they are left as they are.
 */
function pinAnnotations(pin: Pin | undefined): Record<string, string | null> | undefined {
  if (!pin) return { [BY_HEADER]: null, [BY_HEADER_VALUE]: null, [BY_HEADER_PATTERN]: null };
  if (pin.value === undefined) return undefined;
  return { [BY_HEADER]: pin.header, [BY_HEADER_VALUE]: pin.value, [BY_HEADER_PATTERN]: null };
}

/** Whether the canary Ingress already carries these pinning annotations. */
function hasPin(canary: V1Ingress, wanted: Record<string, string | null> | undefined): boolean {
  const annotations = canary.metadata?.annotations ?? {};
  return Object.entries(wanted ?? {}).every(([key, value]) => (annotations[key] ?? null) === value);
}

export class NginxRouter implements TrafficRouter {
  readonly name = "nginx";
  private readonly cluster: Cluster;
  private readonly config: Config;
  private readonly warn: (message: string) => void;
  private readonly pin: Pin | undefined;

  constructor(cluster: Cluster, config: Config, warn: (message: string) => void) {
    this.cluster = cluster;
    this.config = config;
    this.warn = warn;
    this.pin = pinOf(config);
  }

  private get api() {
    return this.cluster.clients.networking;
  }

  private read(name: string): Promise<V1Ingress | undefined> {
    return this.cluster.read(`read Ingress ${name}`, () =>
      this.api.readNamespacedIngress({ name, namespace: this.cluster.namespace }),
    );
  }

  private create(body: V1Ingress): Promise<V1Ingress> {
    const name = body.metadata?.name ?? "";
    return this.cluster.createOrGet(
      `create Ingress ${name}`,
      () => this.api.createNamespacedIngress({ namespace: this.cluster.namespace, body }),
      () => this.api.readNamespacedIngress({ name, namespace: this.cluster.namespace }),
    );
  }

  private mainIngress(): V1Ingress {
    const { app, traffic } = this.config;
    const rule: V1IngressRule = {
      host: traffic.host,
      http: {
        paths: [
          {
            path: traffic.path,
            pathType: "Prefix",
            backend: { service: { name: names(app).stableService, port: { number: 80 } } },
          },
        ],
      },
    };
    return {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: names(app).ingress, namespace: this.config.namespace, labels: { app, ...MANAGED_BY } },
      spec: { ingressClassName: traffic.ingressClassName, rules: [rule] },
    };
  }

  /** The canary Ingress: the main one's paths to stable, pointed at the canary Service (nginx-canary.ts). */
  private canaryIngress(main: V1Ingress, weight: number): V1Ingress {
    const { app } = this.config;
    const shape = this.shapeOf(main);
    return {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: {
        name: names(app).canaryIngress,
        namespace: this.config.namespace,
        labels: { app, ...MANAGED_BY },
        annotations: {
          [CANARY_ANNOTATION]: "true",
          [CANARY_WEIGHT]: String(weight),
          ...withoutNulls(pinAnnotations(this.pin)),
          ...(shape.classAnnotation === undefined ? {} : { [CLASS_ANNOTATION]: shape.classAnnotation }),
        },
      },
      spec: { ingressClassName: shape.ingressClassName, rules: shape.rules },
    };
  }

  /** The canary's shape, or a refusal naming the main Ingress when none of its paths routes to stable. */
  private shapeOf(main: V1Ingress): CanaryShape {
    const n = names(this.config.app);
    const shape = canaryShape(main, n.stableService, n.canaryService);
    if (shape) return shape;
    const backends = (main.spec?.rules ?? []).flatMap((r) => r.http?.paths ?? []).map((p) => p.backend.service?.name);
    throw new UsageError(
      `Ingress ${n.ingress} in namespace ${this.cluster.namespace} routes no path to Service ${n.stableService} (it routes to ${backends.join(", ") || "nothing"}), so grayctl cannot split its traffic`,
      `Point the paths of ${this.config.app} at Service ${n.stableService} (grayctl keeps it selecting the stable pods), or set traffic.router to another router.`,
    );
  }

  /**
   * Refuses, before anything is written, what this router cannot split safely:
   * a main Ingress with no path to stable, or another canary Ingress for the
   * same host (ingress-nginx honours only one; the other would be ignored, or
   * take over grayctl's).
   */
  async check(): Promise<void> {
    const n = names(this.config.app);
    const [main, all] = await Promise.all([this.read(n.ingress), this.listIngresses()]);
    const mainOwner = main?.metadata?.labels;
    if (mainOwner?.["app.kubernetes.io/managed-by"] === "grayctl" && mainOwner.app !== this.config.app)
      throw new UsageError(
        `Ingress ${n.ingress} in namespace ${this.cluster.namespace} belongs to grayctl app ${mainOwner.app}, not ${this.config.app}`,
        "Two grayctl apps' names collide in this namespace (an app x's canary objects are named x-canary): rename one of them or put it in another namespace.",
      );
    const rules = main ? this.shapeOf(main).rules : (this.mainIngress().spec?.rules ?? []);
    const ours = all.find((ingress) => ingress.metadata?.name === n.canaryIngress);
    const owner = ours?.metadata?.labels;
    if (ours && (owner?.["app.kubernetes.io/managed-by"] !== "grayctl" || owner.app !== this.config.app))
      throw new UsageError(
        `Ingress ${n.canaryIngress} in namespace ${this.cluster.namespace} is not the canary Ingress grayctl made for ${this.config.app} (${owner?.app ? `it belongs to app ${owner.app}` : "grayctl did not create it"}): grayctl would take it over`,
        `Rename the app or the Ingress (apps ${this.config.app} and ${n.canaryIngress} cannot share a namespace).`,
      );
    const other = otherCanary(all, n.canaryIngress, hostsOf(rules));
    if (other)
      throw new UsageError(
        `Ingress ${other.name} in namespace ${this.cluster.namespace} is already a canary Ingress for host ${other.host}: ingress-nginx honours only one canary Ingress per host, so grayctl's ${n.canaryIngress} would not take effect (or would take ${other.name}'s place)`,
        `Finish or remove the other canary (\`kubectl -n ${this.cluster.namespace} get ingress ${other.name} -o yaml\`) before rolling out ${this.config.app}.`,
      );
  }

  /** The namespace's Ingresses; none, with a warning, under a Role from before `list` was granted. */
  private async listIngresses(): Promise<V1Ingress[]> {
    try {
      const list = await this.cluster.call("list Ingresses", () =>
        this.api.listNamespacedIngress({ namespace: this.cluster.namespace }),
      );
      return list.items;
    } catch (error) {
      if (describeApiError(error).code !== 403) throw error;
      this.warn(
        "cannot list Ingresses (forbidden): another canary Ingress for the same host is not checked; apply templates/rbac.yaml again to grant it",
      );
      return [];
    }
  }

  async prepare(): Promise<void> {
    const { app } = this.config;
    await this.check();
    let main = await this.read(names(app).ingress);
    if (!main) main = await this.create(this.mainIngress());
    if (!(await this.read(names(app).canaryIngress))) await this.create(this.canaryIngress(main, 0));
  }

  /**
   * One merge patch, conditional on the version read: the weight, and the
   * canary's paths and class derived again from the main Ingress (read beside
   * it), so a changed main Ingress never leaves a stale copy routing its old
   * paths. No write when both already say so.
   */
  async setCanaryWeight(weight: number): Promise<void> {
    const n = names(this.config.app);
    const namespace = this.cluster.namespace;
    let shape: CanaryShape | undefined;
    const pins = pinAnnotations(this.pin);
    await this.cluster.update(
      `set ${CANARY_WEIGHT}=${weight} on Ingress ${n.canaryIngress}`,
      async () => {
        const [canary, main] = await Promise.all([
          this.api.readNamespacedIngress({ name: n.canaryIngress, namespace }),
          this.read(n.ingress),
        ]);
        shape = main && canaryShape(main, n.stableService, n.canaryService);
        // A main Ingress changed to route nothing to stable: the copy keeps its paths (taking traffic away must work).
        if (main && !shape && weight > 0) this.shapeOf(main);
        return canary;
      },
      (current) =>
        current.metadata?.annotations?.[CANARY_WEIGHT] === String(weight) &&
        (!shape || hasShape(current, shape)) &&
        hasPin(current, pins)
          ? undefined
          : current,
      (current) =>
        this.api.patchNamespacedIngress(
          {
            name: n.canaryIngress,
            namespace,
            body: {
              metadata: {
                resourceVersion: current.metadata?.resourceVersion,
                annotations: {
                  [CANARY_WEIGHT]: String(weight),
                  ...pins,
                  ...(shape ? { [CLASS_ANNOTATION]: shape.classAnnotation ?? null } : {}),
                },
              },
              // Merge patch: rules are replaced whole; null removes a class the main Ingress no longer sets.
              ...(shape ? { spec: { ingressClassName: shape.ingressClassName ?? null, rules: shape.rules } } : {}),
            },
          },
          MERGE,
        ),
    );
  }

  async currentCanaryWeight(): Promise<number | undefined> {
    const canary = await this.read(names(this.config.app).canaryIngress);
    const value = canary?.metadata?.annotations?.[CANARY_WEIGHT];
    return value === undefined ? undefined : Number(value);
  }

  replicas(weight: number, total: number): ReplicaPlan {
    return proportionalReplicas(weight, total);
  }
}

function withoutNulls(values: Record<string, string | null> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values ?? {}).filter((entry): entry is [string, string] => entry[1] !== null),
  );
}
