// Picks the router named in traffic.router.
import type { Config } from "../config/schema.ts";
import { UsageError } from "../errors.ts";
import type { Cluster } from "../kube/cluster.ts";
import { NginxRouter } from "./nginx.ts";
import { ReplicasRouter } from "./replicas.ts";
import type { TrafficRouter } from "./types.ts";

export function createRouter(config: Config, cluster: Cluster, warn: (message: string) => void): TrafficRouter {
  switch (config.traffic.router) {
    case "nginx":
      return new NginxRouter(cluster, config, warn);
    case "replicas":
      return new ReplicasRouter(cluster, config.app);
    default:
      throw new UsageError(
        `traffic.router: the ${config.traffic.router} router is not available in this version of grayctl`,
        "Use traffic.router: nginx or replicas.",
      );
  }
}

export type { TrafficRouter } from "./types.ts";
