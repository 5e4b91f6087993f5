// Picks the router named in traffic.router.
import type { Config } from "../config/schema.ts";
import type { Cluster } from "../kube/cluster.ts";
import { GatewayApiRouter } from "./gateway-api.ts";
import { IstioRouter } from "./istio.ts";
import { NginxRouter } from "./nginx.ts";
import { ReplicasRouter } from "./replicas.ts";
import type { TrafficRouter } from "./types.ts";

export function createRouter(config: Config, cluster: Cluster, warn: (message: string) => void): TrafficRouter {
  switch (config.traffic.router) {
    case "nginx":
      return new NginxRouter(cluster, config, warn);
    case "istio":
      return new IstioRouter(cluster, config, warn);
    case "gateway-api":
      return new GatewayApiRouter(cluster, config, warn);
    case "replicas":
      return new ReplicasRouter(cluster, config.app);
  }
}

export type { TrafficRouter } from "./types.ts";
