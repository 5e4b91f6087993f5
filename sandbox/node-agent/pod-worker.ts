// One pod on this node, from its first sight to its removal: an address from
// the pool, its own network namespace, one ContainerRunner per container (the
// sandbox's runtime: restarts with back-off, probes, restart counts), status
// reported through pods/status, and graceful deletion as kubelet does it.
import { type BackoffMs, ContainerRunner, type RestartPolicy } from "../runtime/container.ts";
import type { ContainerDriver, PodNetwork } from "../runtime/driver.ts";
import { podLogPath } from "../runtime/pod-runner.ts";
import { buildPodStatus } from "../runtime/pod-status.ts";
import { type ApiPath, serviceEnvironment } from "./api-path.ts";
import type { IpPool } from "./ip-pool.ts";
import { isConflict, isNotFound, type KubeApi, type KubeObject } from "./kube-api.ts";
import type { NodeNetwork, PodNames } from "./network.ts";
import { apiTime } from "./node-object.ts";
import { PodStatusWriter } from "./pod-status-writer.ts";
import { preStopSleepMs } from "../runtime/lifecycle.ts";
import { SERVICE_ACCOUNT_MOUNT, ServiceAccountVolume, wantsServiceAccount } from "./service-account.ts";
import type { Server } from "node:net";

export interface PodWorkerDeps {
  api: KubeApi;
  network: NodeNetwork;
  ips: IpPool;
  /** The driver for an image, and whether that driver is Docker (whose containers bring their own namespace). */
  driverFor(image: string): { driver: ContainerDriver; docker: boolean };
  backoff: BackoffMs;
  logDir: string;
  nodeIP: string;
  /** Opens the pod's path to the API server (the `kubernetes` Service address in its namespace). */
  apiPath: ApiPath;
  /** Where ServiceAccount volumes are written, and the CA they carry. */
  serviceAccounts: { root: string; caPem: string };
  log(line: string): void;
}

interface ContainerPort {
  containerPort: number;
  name?: string;
}

/** Kubernetes' default terminationGracePeriodSeconds. */
const DEFAULT_GRACE_S = 30;
/** The port a container is told to listen on (PORT) when its spec declares none. */
const DEFAULT_PORT = 8080;
const RETRY_NETWORK_MS = 5000;
const RETRY_TOKEN_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for work, but no longer than ms: every wait of the agent has a deadline. */
async function within(ms: number, work: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

export class PodWorker {
  readonly uid: string;
  readonly key: string;
  private pod: KubeObject;
  private readonly deps: PodWorkerDeps;
  private readonly names: PodNames;
  private readonly ip: string;
  private readonly startTime: string;
  private readonly writer: PodStatusWriter;
  private readonly containers: ContainerRunner[] = [];
  private readonly onDone: () => void;
  private networkReady = false;
  private terminating = false;
  private stopping = false;
  private ending: Promise<void> | undefined;
  private released = false;
  private readonly starting: Promise<void>;
  /** The Docker container whose namespace is the pod's (see network()). */
  private dockerOwner: { name: string; id: string } | undefined;
  private serviceAccount: ServiceAccountVolume | undefined;
  /** The pod's end of its path to the API server, in its namespace. */
  private apiServer: Server | undefined;

  constructor(deps: PodWorkerDeps, pod: KubeObject, onDone: () => void) {
    this.deps = deps;
    this.pod = pod;
    this.onDone = onDone;
    this.uid = pod.metadata.uid;
    this.key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    this.names = deps.network.namesFor(this.uid);
    // A pod that already has an address of this node (the agent restarted) keeps it.
    this.ip = deps.ips.allocate(pod.status?.podIP);
    this.startTime = pod.status?.startTime ?? apiTime(new Date());
    this.writer = new PodStatusWriter({
      api: deps.api,
      pod,
      build: (held) => this.status(held),
      onGone: () => void this.stop(2000),
      log: deps.log,
    });
    this.starting = this.start();
    if (pod.metadata.deletionTimestamp) void this.terminate();
  }

  /** A newer version of the pod from the watch. */
  update(pod: KubeObject): void {
    if (pod.metadata.uid !== this.uid) return;
    this.pod = pod;
    if (pod.metadata.deletionTimestamp) void this.terminate();
    this.writer.observe(pod.status);
  }

  private async start(): Promise<void> {
    const specs: KubeObject[] = this.pod.spec?.containers ?? [];
    const dockerPod = specs.some((c) => this.deps.driverFor(c.image).docker);
    // As the kubelet: no container starts before its ServiceAccount token is there.
    while (wantsServiceAccount(this.pod) && !this.serviceAccount && !this.stopping) {
      const volume = new ServiceAccountVolume(
        this.deps.api,
        this.pod,
        this.deps.serviceAccounts.caPem,
        this.deps.serviceAccounts.root,
        this.deps.log,
      );
      try {
        await volume.create();
        this.serviceAccount = volume;
      } catch (error) {
        await volume.remove();
        this.deps.log(`pod ${this.key}: its ServiceAccount token: ${(error as Error).message}`);
        // Soon: the usual cause is the Node authorizer not yet knowing the pod is bound here.
        await sleep(RETRY_TOKEN_MS);
      }
    }
    // Local processes need the namespace before they start; a Docker pod's is wired when its container runs.
    while (!dockerPod && !this.networkReady && !this.stopping) {
      try {
        await this.deps.network.addPod(this.names, this.ip);
        this.apiServer = await this.deps.apiPath.open(this.names.netns);
        this.networkReady = true;
      } catch (error) {
        this.deps.log(`pod ${this.key}: setting up its network: ${(error as Error).message}`);
        await sleep(RETRY_NETWORK_MS);
      }
    }
    if (this.stopping) return;
    for (const spec of specs) this.containers.push(this.runContainer(spec));
    this.writer.request();
  }

  private runContainer(spec: KubeObject): ContainerRunner {
    const ports: ContainerPort[] = spec.ports ?? [];
    // The demo app listens on PORT at HOST; in its own namespace it must listen on every address.
    // The `kubernetes` Service's variables first (the kubelet's service links), then the container's own.
    const env: Record<string, string> = {
      ...serviceEnvironment(),
      PORT: String(ports[0]?.containerPort ?? DEFAULT_PORT),
      HOST: "0.0.0.0",
    };
    for (const variable of spec.env ?? [])
      if (variable.value !== undefined) env[variable.name] = String(variable.value);
    const { metadata } = this.pod;
    return new ContainerRunner(
      spec as ContainerRunner["spec"],
      this.deps.driverFor(spec.image).driver,
      {
        namespace: metadata.namespace,
        podName: metadata.name,
        containerName: spec.name,
        image: spec.image,
        env,
        command: spec.command,
        args: spec.args,
        logFile: podLogPath(this.deps.logDir, metadata.namespace, metadata.name, spec.name),
        network: this.network(),
        mounts: this.serviceAccount
          ? [{ hostPath: this.serviceAccount.dir, containerPath: SERVICE_ACCOUNT_MOUNT }]
          : [],
      },
      (port) =>
        typeof port === "number" || /^\d+$/.test(port)
          ? Number(port)
          : ports.find((p) => p.name === port)?.containerPort,
      this.deps.backoff,
      () => this.writer.request(),
      { probeHost: this.ip, restartPolicy: (this.pod.spec?.restartPolicy ?? "Always") as RestartPolicy },
    );
  }

  /**
   * How containers join the pod's network. Docker cannot join a named network
   * namespace, and a pause container (kubelet's way) needs a pause image, which
   * cannot be pulled here. So a Docker container starts with NetworkMode "none"
   * and, once it runs, its namespace gets the pod's name and the pod's veth and
   * address (NodeNetwork.attachPod); a restarted container is wired again at the
   * same address. Further Docker containers of the pod join the first one's
   * namespace (container:ID) — if that one restarts they keep the old namespace,
   * a limit of this design for multi-container Docker pods.
   */
  private network(): PodNetwork {
    return {
      netns: this.names.netns,
      dockerNetworkMode: (name) =>
        this.dockerOwner && this.dockerOwner.name !== name ? `container:${this.dockerOwner.id}` : "none",
      attach: async (name, pid, id) => {
        if (this.dockerOwner && this.dockerOwner.name !== name) return;
        // Pid 0: the container has exited already; its restart will be wired.
        if (pid === 0 || this.stopping) return;
        await this.deps.network.attachPod(this.names, this.ip, pid);
        // A restarted container has a new namespace: its API path is opened again there.
        this.apiServer?.close();
        this.apiServer = await this.deps.apiPath.open(this.names.netns);
        this.dockerOwner = { name, id };
        this.networkReady = true;
        this.writer.request();
      },
    };
  }

  private status(held: KubeObject | undefined): KubeObject | undefined {
    // Until its containers exist there is nothing to say beyond what the scheduler wrote.
    if (this.containers.length === 0) return undefined;
    const now = new Date();
    const status = buildPodStatus({
      previous: held,
      containers: this.containers,
      terminating: this.terminating,
      startTime: this.startTime,
      now,
      podIP: this.ip,
      hostIP: this.deps.nodeIP,
    });
    // Kubelet's condition for "the sandbox and its network are up"; conditions of others are kept.
    const ours = new Set(["PodReadyToStartContainers", ...status.conditions.map((c: KubeObject) => c.type)]);
    const earlier = held?.conditions?.find((c: KubeObject) => c.type === "PodReadyToStartContainers");
    const sandboxStatus = this.networkReady ? "True" : "False";
    status.conditions = [
      {
        type: "PodReadyToStartContainers",
        status: sandboxStatus,
        lastProbeTime: null,
        lastTransitionTime: earlier?.status === sandboxStatus ? earlier.lastTransitionTime : apiTime(now),
      },
      ...status.conditions,
      ...(held?.conditions ?? []).filter((c: KubeObject) => !ours.has(c.type)),
    ];
    return status;
  }

  /**
   * Graceful deletion: not ready at once, containers stopped within the grace
   * period (SIGTERM, SIGKILL when it runs out), then the pod deleted for good
   * (grace 0, only this UID) so it does not stay Terminating.
   */
  terminate(): Promise<void> {
    if (this.ending) return this.ending;
    this.terminating = true;
    // A pod deleted before its containers started never starts them.
    this.stopping = true;
    this.writer.request();
    const { metadata, spec } = this.pod;
    const graceS = Math.min(
      metadata.deletionGracePeriodSeconds ?? DEFAULT_GRACE_S,
      spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_S,
    );
    this.ending = (async () => {
      await this.starting;
      // preStop hooks run before SIGTERM, within the grace period, as kubelet
      // runs them; only the sleep action (what load-balanced apps use to let
      // endpoint removal reach the proxies first) can run against a process.
      const preStopMs = Math.min(graceS * 1000, preStopSleepMs(spec));
      if (preStopMs > 0) await new Promise((resolve) => setTimeout(resolve, preStopMs));
      await this.stopContainers(graceS * 1000 - preStopMs);
      await within(5000, this.writer.close());
      try {
        await this.deps.api.request("DELETE", `/api/v1/namespaces/${metadata.namespace}/pods/${metadata.name}`, {
          apiVersion: "v1",
          kind: "DeleteOptions",
          gracePeriodSeconds: 0,
          preconditions: { uid: this.uid },
        });
      } catch (error) {
        // Already gone, or another pod now has the name: nothing left to delete.
        if (!isNotFound(error) && !isConflict(error))
          this.deps.log(`pod ${this.key}: deleting: ${(error as Error).message}`);
      }
      await this.release();
    })();
    return this.ending;
  }

  /** Stops the pod without deleting it: the agent stops, or the pod is gone from the API. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    await within(graceMs + 5000, this.starting);
    await this.stopContainers(graceMs);
    await within(5000, this.writer.close());
    // A termination in flight finishes sooner now that its containers are stopped.
    if (this.ending) await within(graceMs + 15_000, this.ending);
    await this.release();
  }

  private async stopContainers(graceMs: number): Promise<void> {
    this.stopping = true;
    // SIGKILL follows SIGTERM after graceMs; the extra seconds bound a driver that does not answer.
    await within(graceMs + 10_000, Promise.all(this.containers.map((c) => c.stop(graceMs))));
  }

  private async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.apiServer?.close();
    await this.serviceAccount?.remove();
    await this.deps.network.removePod(this.names);
    this.deps.ips.release(this.ip);
    this.onDone();
  }
}
