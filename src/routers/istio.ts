// Istio: a VirtualService `<app>` splits requests between the stable and canary
// Services by route weights that sum to 100; with traffic.pin, a route before
// the weighted one sends requests carrying the pin header's secret value to the
// canary (pin.ts). One that does not exist is created and marked as ours; one
// that exists is adopted, and only grayctl's parts of it change
// (src/routers/istio-routes.ts).
import type { Config } from "../config/schema.ts";
import type { Cluster } from "../kube/cluster.ts";
import { MANAGED_BY, names } from "../kube/names.ts";
import { canaryWeightOf, initialRoutes, type VirtualServiceSpec, withCanaryWeight } from "./istio-routes.ts";
import { pinOf } from "./pin.ts";
import { type RouteObject, RouteObjects, type Split, sameSpec } from "./route-object.ts";
import { proportionalReplicas, type ReplicaPlan, type TrafficRouter } from "./types.ts";

const API_VERSION = "networking.istio.io/v1";

export class IstioRouter implements TrafficRouter {
  readonly name = "istio";
  private readonly config: Config;
  private readonly warn: (message: string) => void;
  private readonly objects: RouteObjects<VirtualServiceSpec>;
  private readonly split: Split;

  constructor(cluster: Cluster, config: Config, warn: (message: string) => void) {
    this.config = config;
    this.warn = warn;
    const n = names(config.app);
    this.objects = new RouteObjects(cluster, API_VERSION, "VirtualService", n.route);
    this.split = {
      namespace: cluster.namespace,
      pin: pinOf(config),
      stable: n.stableService,
      canary: n.canaryService,
    };
  }

  private virtualService(): RouteObject<VirtualServiceSpec> {
    const { app, namespace, traffic } = this.config;
    return {
      apiVersion: API_VERSION,
      kind: "VirtualService",
      metadata: { name: names(app).route, namespace, labels: { app, ...MANAGED_BY } },
      spec: {
        // Without a host, the VirtualService applies to mesh traffic for the app's Service.
        hosts: [traffic.host ?? app],
        ...(traffic.gateway ? { gateways: [traffic.gateway] } : {}),
        http: initialRoutes(this.split, traffic.path),
      },
    };
  }

  async prepare(): Promise<void> {
    const current = await this.objects.read();
    if (!current) {
      await this.objects.createOrGet(this.virtualService());
    } else if (current.metadata?.labels?.["app.kubernetes.io/managed-by"] !== "grayctl") {
      const hosts = current.spec?.hosts ?? [];
      const host = this.config.traffic.host;
      if (host && !hosts.includes(host)) {
        this.warn(`${this.objects.label} (adopted) serves ${hosts.join(", ")}, not traffic.host ${host}`);
      }
    }
    // Adopted (or created by another run): add the pin route and the canary destination, keep the weights.
    await this.objects.mustUpdate("add grayctl's routes", (spec) => this.withWeight(spec, undefined));
  }

  async setCanaryWeight(weight: number): Promise<void> {
    const what = `set the canary weight to ${weight}%`;
    // Rolling back an app that never got its VirtualService: no route, so no canary traffic to take away.
    if (weight === 0) await this.objects.update(what, (spec) => this.withWeight(spec, 0));
    else await this.objects.mustUpdate(what, (spec) => this.withWeight(spec, weight));
  }

  private withWeight(spec: VirtualServiceSpec, weight: number | undefined): VirtualServiceSpec | undefined {
    const http = withCanaryWeight(spec.http ?? [], this.split, weight);
    return sameSpec(http, spec.http) ? undefined : { ...spec, http };
  }

  async currentCanaryWeight(): Promise<number | undefined> {
    const current = await this.objects.read();
    return current ? canaryWeightOf(current.spec?.http ?? [], this.split) : undefined;
  }

  replicas(weight: number, total: number): ReplicaPlan {
    return proportionalReplicas(weight, total);
  }
}
