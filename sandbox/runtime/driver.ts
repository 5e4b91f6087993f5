// How a container is actually run: a local process (fast, no Docker) or a
// container on the Docker Engine. The pod runtime only sees this interface.

export interface ContainerLaunch {
  namespace: string;
  podName: string;
  containerName: string;
  image: string;
  env: Record<string, string>;
  command?: string[];
  args?: string[];
  /** Append stdout and stderr here, if set. */
  logFile?: string;
  /** The pod's own network namespace (the node agent); unset = the host's network, as in the sandbox. */
  network?: PodNetwork;
  /** Host directories the container sees read-only at containerPath (the node agent's ServiceAccount volume). */
  mounts?: { hostPath: string; containerPath: string }[];
}

/**
 * How a container joins its pod's network. A local process runs inside the named
 * namespace (`ip netns exec`). Docker cannot join a named namespace, so a Docker
 * container is created with the mode given here and, once it runs, handed to
 * `attach` with its PID so the pod's network can be wired into its namespace.
 */
export interface PodNetwork {
  netns: string;
  dockerNetworkMode(containerName: string): string;
  attach(containerName: string, pid: number, containerId: string): Promise<void>;
}

export interface RunningContainer {
  /** `sandbox://PID` or `docker://ID`, as kubelet reports containerID. */
  containerID: string;
  imageID: string;
  /** Resolves with the exit code once the container has stopped, whatever stopped it. */
  exited: Promise<number>;
  /** SIGTERM, then SIGKILL after graceMs; resolves when it has exited and is cleaned up. */
  stop(graceMs: number): Promise<void>;
}

export interface ContainerDriver {
  /** Starts a container; throws ImagePullError when the image cannot be had. */
  start(launch: ContainerLaunch): Promise<RunningContainer>;
  /** Stops whatever this driver still has running. */
  close(): Promise<void>;
}

export class ImagePullError extends Error {}
