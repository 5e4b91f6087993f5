// The sandbox's workloads: the Deployment/ReplicaSet controllers and the pod
// runtime that backs every pod with a real process (or a Docker container).
import type { Store } from "./store.ts";
import { startControllers } from "./controllers/manager.ts";
import { DockerDriver } from "./runtime/docker-driver.ts";
import type { ContainerDriver } from "./runtime/driver.ts";
import { isLocalImage, ProcessDriver } from "./runtime/process-driver.ts";
import { PodRuntime } from "./runtime/runtime.ts";

export { podLogPath } from "./runtime/pod-runner.ts";

export interface WorkloadsOptions {
  /** false (default): only sandbox.local images run; others fail to pull. */
  docker?: false | { socketPath?: string };
  logDir?: string;
  /** CrashLoopBackOff delays; Kubernetes uses 10 s → 5 min, the sandbox 1 s → 10 s. */
  crashBackoffMs?: { initial: number; max: number };
  /** How long a terminating pod stays up, unready, before it is stopped. */
  terminationDelayMs?: number;
  /** SIGTERM → SIGKILL grace. */
  killGraceMs?: number;
  resyncMs?: number;
}

export async function startWorkloads(store: Store, options: WorkloadsOptions = {}): Promise<{ stop(): Promise<void> }> {
  const processes = new ProcessDriver();
  const docker = options.docker ? new DockerDriver(options.docker) : undefined;
  const driverFor = (image: string): ContainerDriver => (isLocalImage(image) || !docker ? processes : docker);
  const runtime = new PodRuntime(store, {
    driverFor,
    backoff: options.crashBackoffMs ?? { initial: 1000, max: 10_000 },
    logDir: options.logDir,
    terminationDelayMs: options.terminationDelayMs ?? 300,
    killGraceMs: options.killGraceMs ?? 3000,
  });
  runtime.start();
  const controllers = startControllers(store, { resyncMs: options.resyncMs });
  return {
    async stop() {
      controllers.stop();
      // The runtime stops each pod with its grace; if one never reports back, the
      // drivers' close below still kills every process it started, so no pod
      // outlives the sandbox and the stop returns.
      const graceMs = options.killGraceMs ?? 3000;
      const closed = await Promise.race([
        runtime.close().then(() => true),
        new Promise<false>((resolve) => setTimeout(resolve, graceMs + 10_000, false).unref()),
      ]);
      if (!closed) console.error(`sandbox: pods still stopping after ${graceMs + 10_000} ms; killing their processes`);
      await processes.close();
      await docker?.close();
    },
  };
}
