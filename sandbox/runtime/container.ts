// One container of a pod through its life: pull/start, probes, exits,
// restarts with exponential back-off (as restartPolicy says), stop. Its state
// is kept in the shape of a Kubernetes ContainerStatus; the pod runner turns
// changes into status writes.
import { open } from "node:fs/promises";
import type { ContainerDriver, ContainerLaunch, RunningContainer } from "./driver.ts";
import { ImagePullError } from "./driver.ts";
import { Prober, type ProbeSpec, type ResolvePort } from "./probes.ts";

export interface BackoffMs {
  initial: number;
  max: number;
}

type State =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | {
      terminated: {
        exitCode: number;
        reason: string;
        message?: string;
        startedAt?: string;
        finishedAt: string;
        containerID?: string;
      };
    };

export type RestartPolicy = "Always" | "OnFailure" | "Never";

export interface ContainerRunnerOptions {
  /** Where probes connect: loopback in the sandbox, the pod IP on a node. */
  probeHost?: string;
  /** The pod's restartPolicy; the sandbox's pods all restart (Always). */
  restartPolicy?: RestartPolicy;
}

export interface ContainerSpec {
  name: string;
  image: string;
  readinessProbe?: ProbeSpec;
  livenessProbe?: ProbeSpec;
  terminationMessagePolicy?: string;
}

/** The kubelet's fallback message: the end of the log, at most 80 lines and 2048 bytes. */
async function logTail(file: string): Promise<string | undefined> {
  try {
    const handle = await open(file, "r");
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 2048);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      return buffer.toString("utf8").split("\n").slice(-80).join("\n") || undefined;
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

export class ContainerRunner {
  readonly spec: ContainerSpec;
  state: State = { waiting: { reason: "ContainerCreating" } };
  lastState: State | Record<string, never> = {};
  restartCount = 0;
  ready = false;
  started = false;
  /** Exited and will not be restarted (restartPolicy Never/OnFailure). */
  finished = false;
  containerID: string | undefined;
  imageID = "";
  private current: RunningContainer | undefined;
  private probers: Prober[] = [];
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  private readonly driver: ContainerDriver;
  private readonly launch: ContainerLaunch;
  private readonly resolvePort: ResolvePort;
  private readonly backoff: BackoffMs;
  private readonly onChange: () => void;
  private readonly options: ContainerRunnerOptions;
  readonly done: Promise<void>;

  constructor(
    spec: ContainerSpec,
    driver: ContainerDriver,
    launch: ContainerLaunch,
    resolvePort: ResolvePort,
    backoff: BackoffMs,
    onChange: () => void,
    options: ContainerRunnerOptions = {},
  ) {
    this.spec = spec;
    this.driver = driver;
    this.launch = launch;
    this.resolvePort = resolvePort;
    this.backoff = backoff;
    this.onChange = onChange;
    this.options = options;
    this.done = this.loop();
  }

  status() {
    return {
      name: this.spec.name,
      image: this.spec.image,
      imageID: this.imageID,
      ...(this.containerID ? { containerID: this.containerID } : {}),
      ready: this.ready,
      started: this.started,
      restartCount: this.restartCount,
      state: this.state,
      lastState: this.lastState,
    };
  }

  /** Stops the container for good and waits until it has exited. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    this.stopProbes();
    this.wakeUp?.();
    await this.current?.stop(graceMs);
    await this.done;
  }

  private async loop(): Promise<void> {
    let delay = this.backoff.initial;
    while (!this.stopped) {
      const startedAt = new Date();
      try {
        this.current = await this.driver.start(this.launch);
      } catch (err) {
        if (this.stopped) return;
        const pull = err instanceof ImagePullError;
        this.set({
          waiting: { reason: pull ? "ErrImagePull" : "CreateContainerError", message: (err as Error).message },
        });
        await this.sleep(delay);
        if (pull && !this.stopped) {
          this.set({ waiting: { reason: "ImagePullBackOff", message: `Back-off pulling image "${this.spec.image}"` } });
          await this.sleep(delay);
        }
        delay = Math.min(delay * 2, this.backoff.max);
        continue;
      }
      if (this.stopped) {
        await this.current.stop(0);
        return;
      }
      this.containerID = this.current.containerID;
      this.imageID = this.current.imageID;
      this.started = true;
      this.state = { running: { startedAt: startedAt.toISOString() } };
      this.startProbes();
      this.onChange();
      const exitCode = await this.current.exited;
      this.stopProbes();
      this.ready = false;
      if (this.stopped) return;
      // Kubelet reports started=false once the container is no longer running.
      this.started = false;
      // FallbackToLogsOnError: a failed container's message is the end of its log (no termination-log file here).
      const message =
        exitCode !== 0 && this.spec.terminationMessagePolicy === "FallbackToLogsOnError" && this.launch.logFile
          ? await logTail(this.launch.logFile)
          : undefined;
      const terminated = {
        exitCode,
        reason: exitCode === 0 ? "Completed" : "Error",
        ...(message ? { message } : {}),
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        ...(this.containerID ? { containerID: this.containerID } : {}),
      };
      if (!this.restarts(exitCode)) {
        this.finished = true;
        this.set({ terminated });
        return;
      }
      this.restartCount++;
      this.lastState = { terminated };
      // A container that ran well for a while starts its back-off afresh, as kubelet does.
      if (Date.now() - startedAt.getTime() > this.backoff.max * 2) delay = this.backoff.initial;
      this.set({
        waiting: {
          reason: "CrashLoopBackOff",
          message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${this.spec.name} pod=${this.launch.podName}`,
        },
      });
      await this.sleep(delay);
      delay = Math.min(delay * 2, this.backoff.max);
    }
  }

  private restarts(exitCode: number): boolean {
    const policy = this.options.restartPolicy ?? "Always";
    return policy === "Always" || (policy === "OnFailure" && exitCode !== 0);
  }

  private startProbes(): void {
    const readiness = this.spec.readinessProbe;
    if (readiness) {
      const prober = new Prober(
        readiness,
        this.resolvePort,
        false,
        (ok) => {
          this.ready = ok;
          this.onChange();
        },
        this.options.probeHost,
      );
      this.probers.push(prober);
      prober.start();
    } else {
      this.ready = true;
    }
    const liveness = this.spec.livenessProbe;
    if (liveness) {
      const prober = new Prober(
        liveness,
        this.resolvePort,
        true,
        (ok) => {
          // Kubelet kills a container that fails liveness; the loop then restarts it.
          if (!ok) void this.current?.stop(1000);
        },
        this.options.probeHost,
      );
      this.probers.push(prober);
      prober.start();
    }
  }

  private stopProbes(): void {
    for (const prober of this.probers) prober.stop();
    this.probers = [];
  }

  private set(state: State): void {
    this.state = state;
    this.ready = false;
    this.onChange();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
