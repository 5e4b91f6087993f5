// The real cluster's node agent, its kubelet: registers a Node and keeps it
// Ready (status and Lease), runs the pods bound to it with the sandbox's
// container runtime, each in its own network namespace on a bridge so that it
// has a real pod IP (the API server's pod proxy refuses loopback ones), and
// reports their status. Needs root for the namespaces, veths and the bridge.
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BackoffMs } from "../runtime/container.ts";
import { DockerDriver } from "../runtime/docker-driver.ts";
import type { ContainerDriver } from "../runtime/driver.ts";
import { isLocalImage, ProcessDriver } from "../runtime/process-driver.ts";
import { ApiPath } from "./api-path.ts";
import { run } from "./host-command.ts";
import { IpPool } from "./ip-pool.ts";
import { KubeApi } from "./kube-api.ts";
import { NodeNetwork } from "./network.ts";
import { NodeHeartbeat } from "./node-heartbeat.ts";
import { PodSupervisor } from "./pod-supervisor.ts";
import { PodWatch } from "./pod-watch.ts";

export interface NodeAgentOptions {
  /** kubeconfig with the agent's credentials: user system:node:<nodeName>, group system:nodes (the API server runs --authorization-mode=Node,RBAC). */
  kubeconfigPath: string;
  nodeName: string; // e.g. "grayctl-node"
  podCidr: string; // e.g. "10.244.77.0/24"; the bridge takes .1, pods get .2, .3, … (reuse freed addresses)
  bridge: string; // bridge device name, e.g. "grayctl0"
  docker?: false | { socketPath?: string }; // non-sandbox.local images run on Docker when set
  logDir: string; // container logs (same naming as sandbox/runtime podLogPath)
  /** Pods' ServiceAccount volumes (token, ca.crt, namespace), one directory per pod UID; root-only. */
  volumeDir?: string;
  /** CrashLoopBackOff delays; kubelet's (10 s doubling to 5 min) unless set. */
  crashBackoffMs?: BackoffMs;
  /** Where the agent reports trouble (one line each); stderr unless set. */
  log?: (line: string) => void;
}

/** A problem the user can fix (not root, no iproute2, bad options): print the message, no stack. */
export class NodeAgentError extends Error {}

const KUBELET_BACKOFF: BackoffMs = { initial: 10_000, max: 300_000 };
/** On this agent's Docker containers, so a restarted agent removes only its own leftovers. */
const NODE_LABEL = "node-agent.grayctl.dev/node";

/** Containers a crashed run left; doubles as the check that the Docker Engine answers. */
async function removeDockerLeftovers(docker: DockerDriver, socketPath: string | undefined): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("no answer within 10 s")), 10_000);
  });
  try {
    await Promise.race([docker.removeLeftovers(), timeout]);
  } catch (error) {
    throw new NodeAgentError(
      `Docker Engine not reachable (${socketPath ?? process.env.DOCKER_HOST ?? "/var/run/docker.sock"}): ${(error as Error).message}. Start it with scripts/real-parts.sh, or run without Docker.`,
    );
  } finally {
    clearTimeout(timer);
  }
}

async function checkHost(): Promise<void> {
  if (process.platform !== "linux" || process.getuid?.() !== 0)
    throw new NodeAgentError(
      "the node agent needs root on Linux: it gives every pod its own network namespace, veth pair and address on a bridge. Run the cluster as root, or use the sandbox (npm run sandbox), which needs neither.",
    );
  await run(["ip", "-V"]).catch(() => {
    throw new NodeAgentError("the node agent needs iproute2's `ip` command (apt-get install iproute2)");
  });
}

export async function startNodeAgent(options: NodeAgentOptions): Promise<{ stop(): Promise<void> }> {
  await checkHost();
  const log = options.log ?? ((line: string) => console.error(`node-agent: ${line}`));
  let ips: IpPool;
  try {
    ips = new IpPool(options.podCidr);
  } catch (error) {
    throw new NodeAgentError((error as Error).message);
  }
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(options.bridge))
    throw new NodeAgentError(`bridge ${JSON.stringify(options.bridge)} is not an interface name (1–15 characters)`);
  const api = await KubeApi.fromKubeconfig(options.kubeconfigPath);
  await mkdir(options.logDir, { recursive: true });
  const volumeDir = options.volumeDir ?? join(tmpdir(), `grayctl-node-${options.nodeName}-volumes`);
  await mkdir(volumeDir, { recursive: true, mode: 0o700 });
  const caPem = api.caPem;
  if (!caPem)
    throw new NodeAgentError(`${options.kubeconfigPath} names no cluster CA: pods could not check the API server`);
  const docker = options.docker
    ? new DockerDriver({ ...options.docker, labels: { [NODE_LABEL]: options.nodeName } })
    : undefined;
  if (docker) await removeDockerLeftovers(docker, options.docker ? options.docker.socketPath : undefined);
  const network = new NodeNetwork(options.bridge, ips.cidr);
  // A crashed run may have left pods' namespaces (and processes in them) behind.
  for (const netns of await network.listPodNamespaces())
    await network.removePod({ netns, hostVeth: `gc${netns.slice(options.bridge.length + 1)}` }, 0);
  await network.ensureBridge();

  const processes = new ProcessDriver();
  const driverFor = (image: string): { driver: ContainerDriver; docker: boolean } =>
    isLocalImage(image) || !docker ? { driver: processes, docker: false } : { driver: docker, docker: true };
  const pods = new PodSupervisor({
    api,
    network,
    ips,
    driverFor,
    backoff: options.crashBackoffMs ?? KUBELET_BACKOFF,
    logDir: options.logDir,
    nodeIP: ips.cidr.gateway,
    apiPath: new ApiPath(api.serverUrl),
    serviceAccounts: { root: volumeDir, caPem },
    log,
  });
  let heartbeat: NodeHeartbeat | undefined;
  let watch: PodWatch | undefined;
  const stop = async () => {
    await watch?.stop();
    await pods.close();
    await heartbeat?.stop();
    await processes.close();
    await docker?.close();
    await network.removeBridge();
  };
  try {
    const version = await api.request("GET", "/version");
    heartbeat = new NodeHeartbeat(
      api,
      {
        nodeName: options.nodeName,
        podCidr: options.podCidr,
        address: ips.cidr.gateway,
        kubeletVersion: version.gitVersion ?? "v0.0.0",
        containerRuntimeVersion: docker ? "docker+process://grayctl" : "process://grayctl",
      },
      log,
    );
    await heartbeat.start();
    watch = new PodWatch(api, options.nodeName, pods, log);
    await watch.start();
  } catch (error) {
    await stop();
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= stop();
      return stopped;
    },
  };
}
