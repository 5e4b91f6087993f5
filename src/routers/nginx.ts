// ingress-nginx: the app's Ingress sends traffic to the stable Service; a second
// Ingress with canary annotations sends `canary-weight` % (and requests with
// the header set to "always") to the canary Service. A main Ingress that exists
// is adopted untouched; one that does not is created and marked as ours.
import type { V1Ingress, V1IngressRule } from "@kubernetes/client-node";
import type { Config } from "../config/schema.ts";
import { type Cluster, MERGE } from "../kube/cluster.ts";
import { MANAGED_BY, names } from "../kube/names.ts";
import { proportionalReplicas, type ReplicaPlan, type TrafficRouter } from "./types.ts";

const PREFIX = "nginx.ingress.kubernetes.io";
export const CANARY_WEIGHT = `${PREFIX}/canary-weight`;

export class NginxRouter implements TrafficRouter {
  readonly name = "nginx";
  private readonly cluster: Cluster;
  private readonly config: Config;
  private readonly warn: (message: string) => void;

  constructor(cluster: Cluster, config: Config, warn: (message: string) => void) {
    this.cluster = cluster;
    this.config = config;
    this.warn = warn;
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

  /** The canary Ingress mirrors the main one's rules, pointed at the canary Service. */
  private canaryIngress(main: V1Ingress, weight: number): V1Ingress {
    const { app, traffic } = this.config;
    const rules = (main.spec?.rules ?? []).map((rule) => ({
      ...rule,
      http: rule.http && {
        paths: rule.http.paths.map((path) => ({
          ...path,
          backend: { service: { name: names(app).canaryService, port: { number: 80 } } },
        })),
      },
    }));
    return {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: {
        name: names(app).canaryIngress,
        namespace: this.config.namespace,
        labels: { app, ...MANAGED_BY },
        annotations: {
          [`${PREFIX}/canary`]: "true",
          [CANARY_WEIGHT]: String(weight),
          [`${PREFIX}/canary-by-header`]: traffic.header,
        },
      },
      spec: { ingressClassName: main.spec?.ingressClassName, rules },
    };
  }

  async prepare(): Promise<void> {
    const { app } = this.config;
    let main = await this.read(names(app).ingress);
    if (!main) {
      main = await this.create(this.mainIngress());
    } else if (main.metadata?.labels?.["app.kubernetes.io/managed-by"] !== "grayctl") {
      const backends = (main.spec?.rules ?? []).flatMap((r) => r.http?.paths ?? []).map((p) => p.backend.service?.name);
      if (backends.some((b) => b !== names(app).stableService)) {
        this.warn(
          `Ingress ${names(app).ingress} (adopted) routes to ${backends.join(", ")}, not ${names(app).stableService}: a Service selecting both tracks would let canary pods take main traffic`,
        );
      }
    }
    if (!(await this.read(names(app).canaryIngress))) await this.create(this.canaryIngress(main, 0));
  }

  /** One merge patch of the weight annotation, conditional on the version read; no write when it already says so. */
  async setCanaryWeight(weight: number): Promise<void> {
    const name = names(this.config.app).canaryIngress;
    const namespace = this.cluster.namespace;
    await this.cluster.update(
      `set ${CANARY_WEIGHT}=${weight} on Ingress ${name}`,
      () => this.api.readNamespacedIngress({ name, namespace }),
      (current) => (current.metadata?.annotations?.[CANARY_WEIGHT] === String(weight) ? undefined : current),
      (current) =>
        this.api.patchNamespacedIngress(
          {
            name,
            namespace,
            body: {
              metadata: {
                resourceVersion: current.metadata?.resourceVersion,
                annotations: { [CANARY_WEIGHT]: String(weight) },
              },
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
