// Types of start-cluster.mjs for the TypeScript suites that start a second control plane.
export interface ClusterNetwork {
  /** The node agent's bridge device (at most 15 characters). */
  bridge: string;
  /** Pod addresses on that bridge; must not overlap another cluster's on the machine. */
  podCidr: string;
  nodeName: string;
}

export interface StartedCluster {
  /** Its admin kubeconfig (written once it is ready). */
  kubeconfig: string;
  ready: Promise<void>;
  /** The PID of `npm run cluster`: its control plane and node agent stop with it. */
  pid: number;
  /** Stops it (SIGTERM, SIGKILL after 60 s) and removes its directory; safe after it exited. */
  stop(): Promise<void>;
}

export function startCluster(
  network?: ClusterNetwork,
  options?: { log?: (chunk: string) => void },
): Promise<StartedCluster>;
