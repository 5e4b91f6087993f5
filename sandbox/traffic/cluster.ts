// The traffic layer in front of a real cluster: a mirror of its API server
// (sandbox/mirror.ts) feeds the same front door (and, optionally, the same real
// nginx and Prometheus targets) the sandbox uses. Routing comes from the
// cluster's Ingresses, VirtualServices and HTTPRoutes; requests go to the pod IPs
// the EndpointSlice controller publishes as ready. The mirrored Store is also
// the real-cluster suites' synchronous view of the cluster.
import { MIRRORED_TYPES, type Mirror, mirrorCluster } from "../mirror.ts";
import { R, type ResourceType } from "../resources.ts";
import type { Store } from "../store.ts";
import type { TrafficStats } from "./front-door.ts";
import { startTraffic, type TrafficOptions } from "./index.ts";

export interface ClusterTrafficOptions extends TrafficOptions {
  kubeconfigPath: string;
  context?: string;
  /** Mirror and route one namespace only; every namespace by default. */
  namespace?: string;
  /** Types to mirror (MIRRORED_TYPES by default); the ones routing needs are always added. */
  resources?: ResourceType[];
  /** Give up if the mirror has not listed every type by then (default 60 s). */
  syncTimeoutMs?: number;
  /** Where the mirror reports skipped types and failures (default: stderr). */
  log?: (message: string) => void;
}

export interface ClusterTraffic {
  frontDoorUrl: string;
  /** The real nginx's URL, when `nginx` was asked for. */
  nginxUrl?: string;
  /** The mirrored cluster, kept current; read-only. */
  store: Store;
  mirror: Mirror;
  stats(): TrafficStats;
  /** Resolves once nginx serves a configuration reflecting the mirror as it is now. */
  settled(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** What the front door reads: routing objects, Services, their EndpointSlices, and pods (names, targets). */
export const ROUTING_TYPES: ResourceType[] = [
  R.ingresses,
  R.virtualservices,
  R.httproutes,
  R.services,
  R.endpointslices,
  R.pods,
];

export async function startClusterTraffic(options: ClusterTrafficOptions): Promise<ClusterTraffic> {
  const mirror = mirrorCluster({
    kubeconfigPath: options.kubeconfigPath,
    context: options.context,
    namespace: options.namespace,
    resources: [...(options.resources ?? MIRRORED_TYPES), ...ROUTING_TYPES],
    syncTimeoutMs: options.syncTimeoutMs,
    log: options.log,
  });
  try {
    await mirror.synced;
    const traffic = await startTraffic(mirror.store, options);
    return {
      frontDoorUrl: traffic.url,
      nginxUrl: traffic.nginxUrl,
      store: mirror.store,
      mirror,
      stats: traffic.stats,
      settled: traffic.settled,
      stop: async () => {
        await traffic.stop();
        await mirror.stop();
      },
    };
  } catch (error) {
    await mirror.stop();
    throw error;
  }
}
