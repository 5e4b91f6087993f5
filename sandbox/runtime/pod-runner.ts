// Runs one pod: allocates a loopback port per container port, starts every
// container through the driver, records the host ports in the pod's
// annotation and keeps the pod's status in the store up to date.
import { join } from "node:path";
import { HOST_PORTS_ANNOTATION } from "../endpoints.ts";
import { R } from "../resources.ts";
import type { KubeObject, Store } from "../store.ts";
import { type BackoffMs, ContainerRunner } from "./container.ts";
import type { ContainerDriver } from "./driver.ts";
import { freePort, releasePort } from "./ports.ts";
import { buildPodStatus } from "./pod-status.ts";

export interface PodRunnerOptions {
  driverFor(image: string): ContainerDriver;
  backoff: BackoffMs;
  logDir?: string;
}

interface ContainerPort {
  containerPort: number;
  name?: string;
}

export function podLogPath(logDir: string, namespace: string, pod: string, container: string): string {
  return join(logDir, `${namespace}_${pod}_${container}.log`);
}

export class PodRunner {
  readonly uid: string;
  private readonly store: Store;
  private readonly namespace: string;
  private readonly name: string;
  private readonly containers: ContainerRunner[] = [];
  private readonly hostPorts: Record<string, number> = {};
  private readonly allocated: number[] = [];
  private readonly startTime = new Date().toISOString();
  private terminating = false;
  private stopped = false;

  constructor(store: Store, pod: KubeObject) {
    this.store = store;
    this.namespace = pod.metadata.namespace ?? "default";
    this.name = pod.metadata.name ?? "";
    this.uid = pod.metadata.uid ?? "";
  }

  async start(pod: KubeObject, options: PodRunnerOptions): Promise<void> {
    const specs = pod.spec?.containers ?? [];
    const portsByContainer: number[][] = [];
    for (const container of specs) {
      const mine: number[] = [];
      for (const port of (container.ports ?? []) as ContainerPort[]) {
        const hostPort = await this.allocate();
        this.hostPorts[String(port.containerPort)] = hostPort;
        mine.push(hostPort);
      }
      // An app needs somewhere to listen even when the spec declares no port.
      if (mine.length === 0) mine.push(await this.allocate());
      portsByContainer.push(mine);
    }
    if (this.stopped) return this.releasePorts();
    this.store.mutate(R.pods, this.namespace, this.name, (obj) => {
      obj.metadata.annotations = {
        ...obj.metadata.annotations,
        [HOST_PORTS_ANNOTATION]: JSON.stringify(this.hostPorts),
      };
    });
    specs.forEach((container: KubeObject["spec"], index: number) => {
      const env: Record<string, string> = { PORT: String(portsByContainer[index][0]) };
      for (const variable of container.env ?? [])
        if (variable.value !== undefined) env[variable.name] = String(variable.value);
      const runner = new ContainerRunner(
        container,
        options.driverFor(container.image),
        {
          namespace: this.namespace,
          podName: this.name,
          containerName: container.name,
          image: container.image,
          env,
          command: container.command,
          args: container.args,
          logFile: options.logDir ? podLogPath(options.logDir, this.namespace, this.name, container.name) : undefined,
        },
        (port) => this.resolvePort(port, container.ports ?? [], portsByContainer[index][0]),
        options.backoff,
        () => this.writeStatus(),
      );
      this.containers.push(runner);
    });
    this.writeStatus();
  }

  private resolvePort(port: number | string, declared: ContainerPort[], fallback: number): number | undefined {
    const numeric =
      typeof port === "number" || /^\d+$/.test(port)
        ? Number(port)
        : declared.find((p) => p.name === port)?.containerPort;
    if (numeric === undefined) return undefined;
    return this.hostPorts[String(numeric)] ?? fallback;
  }

  /** Ready=False at once, so nothing routes here while the containers stop. */
  markTerminating(): void {
    this.terminating = true;
    this.writeStatus();
  }

  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    await Promise.all(this.containers.map((c) => c.stop(graceMs)));
    this.releasePorts();
  }

  private async allocate(): Promise<number> {
    const port = await freePort();
    this.allocated.push(port);
    return port;
  }

  private releasePorts(): void {
    for (const port of this.allocated) releasePort(port);
  }

  private writeStatus(): void {
    if (this.stopped) return;
    const current = this.store.get(R.pods, this.namespace, this.name);
    if (!current || current.metadata.uid !== this.uid) return;
    this.store.mutate(
      R.pods,
      this.namespace,
      this.name,
      (obj) => {
        obj.status = buildPodStatus({
          previous: obj.status,
          containers: this.containers,
          terminating: this.terminating || Boolean(obj.metadata.deletionTimestamp),
          startTime: this.startTime,
          now: new Date(),
        });
      },
      "status",
    );
  }
}
