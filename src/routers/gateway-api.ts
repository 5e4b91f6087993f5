// Gateway API: an HTTPRoute `<app>` splits requests between the stable and
// canary Services by backendRef weights (proportional; grayctl writes
// percentages); with traffic.pin, a rule sends requests carrying the pin
// header's secret value to the canary (pin.ts). One that does not exist is
// created and marked as ours; one that exists is adopted, and only grayctl's
// parts of it change (src/routers/gateway-api-rules.ts).
import type { Config } from "../config/schema.ts";
import type { Cluster } from "../kube/cluster.ts";
import { MANAGED_BY, names } from "../kube/names.ts";
import { canaryWeightOf, type HttpRouteSpec, initialRules, withCanaryWeight } from "./gateway-api-rules.ts";
import { pinOf } from "./pin.ts";
import { type RouteObject, RouteObjects, type Split, sameSpec } from "./route-object.ts";
import { proportionalReplicas, type ReplicaPlan, type TrafficRouter } from "./types.ts";

const API_VERSION = "gateway.networking.k8s.io/v1";

export class GatewayApiRouter implements TrafficRouter {
  readonly name = "gateway-api";
  private readonly config: Config;
  private readonly warn: (message: string) => void;
  private readonly objects: RouteObjects<HttpRouteSpec>;
  private readonly split: Split;

  constructor(cluster: Cluster, config: Config, warn: (message: string) => void) {
    this.config = config;
    this.warn = warn;
    const n = names(config.app);
    this.objects = new RouteObjects(cluster, API_VERSION, "HTTPRoute", n.route);
    this.split = {
      namespace: cluster.namespace,
      pin: pinOf(config),
      stable: n.stableService,
      canary: n.canaryService,
    };
  }

  private httpRoute(): RouteObject<HttpRouteSpec> {
    const { app, namespace, traffic } = this.config;
    return {
      apiVersion: API_VERSION,
      kind: "HTTPRoute",
      metadata: { name: names(app).route, namespace, labels: { app, ...MANAGED_BY } },
      spec: {
        // Without traffic.gateway the route attaches to nothing until the team adds a parentRef.
        ...(traffic.gateway ? { parentRefs: [{ name: traffic.gateway }] } : {}),
        // Without a host, the route serves every hostname its gateway listens for.
        ...(traffic.host ? { hostnames: [traffic.host] } : {}),
        rules: initialRules(this.split, traffic.path),
      },
    };
  }

  async prepare(): Promise<void> {
    const current = await this.objects.read();
    if (!current) {
      await this.objects.createOrGet(this.httpRoute());
    } else if (current.metadata?.labels?.["app.kubernetes.io/managed-by"] !== "grayctl") {
      const hostnames = current.spec?.hostnames ?? [];
      const host = this.config.traffic.host;
      if (host && hostnames.length > 0 && !hostnames.includes(host)) {
        this.warn(`${this.objects.label} (adopted) serves ${hostnames.join(", ")}, not traffic.host ${host}`);
      }
    }
    // Adopted (or created by another run): add the pin rule and the canary backend, keep the weights.
    await this.objects.mustUpdate("add grayctl's rules", (spec) => this.withWeight(spec, undefined));
  }

  async setCanaryWeight(weight: number): Promise<void> {
    const what = `set the canary weight to ${weight}%`;
    // Rolling back an app that never got its HTTPRoute: no route, so no canary traffic to take away.
    if (weight === 0) await this.objects.update(what, (spec) => this.withWeight(spec, 0));
    else await this.objects.mustUpdate(what, (spec) => this.withWeight(spec, weight));
  }

  private withWeight(spec: HttpRouteSpec, weight: number | undefined): HttpRouteSpec | undefined {
    const rules = withCanaryWeight(spec.rules ?? [], this.split, weight);
    return sameSpec(rules, spec.rules) ? undefined : { ...spec, rules };
  }

  async currentCanaryWeight(): Promise<number | undefined> {
    const current = await this.objects.read();
    return current ? canaryWeightOf(current.spec?.rules ?? [], this.split) : undefined;
  }

  replicas(weight: number, total: number): ReplicaPlan {
    return proportionalReplicas(weight, total);
  }
}
