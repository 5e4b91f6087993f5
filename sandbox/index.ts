// startSandbox: the Kubernetes API stand-in with its pod runtime and traffic front
// door, on loopback ports, plus a kubeconfig for it. The heavy parts are imported
// lazily so a sandbox without them starts fast.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ApiServer, startApiServer } from "./api/server.ts";
import { type FaultRule, Faults } from "./faults.ts";
import { writeKubeconfig } from "./kubeconfig.ts";
import { R } from "./resources.ts";
import { Store } from "./store.ts";
import type { TrafficOptions } from "./traffic/index.ts";
import type { WorkloadsOptions } from "./workloads.ts";

export type { FaultAction, FaultRule } from "./faults.ts";
export { Faults } from "./faults.ts";
export { Store } from "./store.ts";

export type { TrafficOptions } from "./traffic/index.ts";
export type { WorkloadsOptions } from "./workloads.ts";

export interface SandboxOptions {
  /** API port on 127.0.0.1; 0 or unset picks a free one. */
  port?: number;
  /** Where to write the kubeconfig; default a new temp dir removed by stop(). */
  kubeconfigPath?: string;
  /** Namespaces to create besides "default". */
  namespaces?: string[];
  /** Fault rules active from the start, and the seed of their random draws. */
  faults?: FaultRule[];
  faultSeed?: number;
  /** Pod runtime and Deployment controller; false to run the API alone. */
  workloads?: false | WorkloadsOptions;
  /** Traffic front door; false for none. */
  traffic?: false | TrafficOptions;
  /** Bearer token written to the kubeconfig and required by the API. */
  token?: string;
  /** Called once per API request, before any fault, with the client's User-Agent (which grayctl process sent it). */
  onRequest?: (method: string, url: string, userAgent: string | undefined) => void;
}

export interface Sandbox {
  /** API server URL, e.g. http://127.0.0.1:41234 */
  url: string;
  kubeconfigPath: string;
  token: string;
  /** Front door URL, undefined when traffic is disabled. */
  frontDoorUrl?: string;
  /** The real nginx's URL, when traffic.nginx was asked for. */
  nginxUrl?: string;
  /** Resolves once the real nginx serves the store as it is now (at once without nginx). */
  trafficSettled?(timeoutMs?: number): Promise<void>;
  store: Store;
  faults: Faults;
  stop(): Promise<void>;
}

/** How long one part of the sandbox may take to stop (pods get killGraceMs, nginx 5 s). */
const STOP_DEADLINE_MS = 30_000;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const store = new Store();
  for (const name of ["default", ...(options.namespaces ?? [])]) {
    if (!store.get(R.namespaces, undefined, name)) {
      store.create(R.namespaces, undefined, {
        metadata: { name, labels: { "kubernetes.io/metadata.name": name } },
        spec: { finalizers: ["kubernetes"] },
        status: { phase: "Active" },
      });
    }
  }
  const faults = new Faults(options.faults ?? [], options.faultSeed);
  const token = options.token ?? `sandbox-${randomBytes(12).toString("hex")}`;
  const stops: { part: string; stop: () => Promise<void> }[] = [];
  const stopAll = async () => {
    // Each part gets a deadline: a part that never finishes stopping must not hold a
    // test file (and CI) forever; it is named so the hang can be found.
    for (const { part, stop } of stops.reverse()) {
      const finished = await Promise.race([
        stop().then(
          () => true,
          () => true,
        ),
        new Promise<false>((resolve) => setTimeout(resolve, STOP_DEADLINE_MS, false).unref()),
      ]);
      if (!finished)
        console.error(`sandbox: stopping the ${part} took longer than ${STOP_DEADLINE_MS / 1000} s; going on`);
    }
    stops.length = 0;
  };
  try {
    // One temp dir for what the caller did not place: the kubeconfig and the pod logs.
    const dir = await mkdtemp(join(tmpdir(), "grayctl-sandbox-"));
    stops.push({ part: "temp dir", stop: () => rm(dir, { recursive: true, force: true }) });
    const workloadsOptions =
      options.workloads === false ? undefined : { logDir: join(dir, "logs"), ...options.workloads };
    if (workloadsOptions?.logDir) await mkdir(workloadsOptions.logDir, { recursive: true });
    const api: ApiServer = await startApiServer({
      store,
      faults,
      token,
      port: options.port,
      logDir: workloadsOptions?.logDir,
      onRequest: options.onRequest,
    });
    stops.push({ part: "API server", stop: api.stop });
    const kubeconfigPath = options.kubeconfigPath ?? join(dir, "kubeconfig");
    await writeKubeconfig(kubeconfigPath, { server: api.url, token });
    if (workloadsOptions) {
      const { startWorkloads } = await import("./workloads.ts");
      const workloads = await startWorkloads(store, workloadsOptions);
      stops.push({ part: "pod runtime", stop: () => workloads.stop() });
    }
    let frontDoorUrl: string | undefined;
    let nginxUrl: string | undefined;
    let trafficSettled: Sandbox["trafficSettled"];
    if (options.traffic !== false) {
      const { startTraffic } = await import("./traffic/index.ts");
      const traffic = await startTraffic(store, options.traffic ?? {});
      stops.push({ part: "traffic (front door, nginx)", stop: () => traffic.stop() });
      frontDoorUrl = traffic.url;
      nginxUrl = traffic.nginxUrl;
      trafficSettled = (timeoutMs) => traffic.settled(timeoutMs);
    }
    return {
      url: api.url,
      kubeconfigPath,
      token,
      frontDoorUrl,
      nginxUrl,
      trafficSettled,
      store,
      faults,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
