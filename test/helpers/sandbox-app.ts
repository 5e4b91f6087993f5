// A sandbox cluster plus a grayctl.yaml for one app, for tests that run the
// grayctl binary against it exactly as a user would (--kubeconfig).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Sandbox, type SandboxOptions, startSandbox } from "../../sandbox/index.ts";
import { R, type ResourceType } from "../../sandbox/resources.ts";
import type { KubeObject } from "../../sandbox/store.ts";
import { type CliResult, type RunningCli, runCli, spawnCli } from "./cli.ts";
import { clusterKubeconfig, startClusterSandbox, testNamespace } from "./cluster-sandbox.ts";

/** Demo-app images by digest, as grayctl deploys them: sandbox.local/demo-app:TAG@sha256:… */
export { demoImageRef as demoImage } from "../../sandbox/demo-app/config.ts";

export interface SandboxApp {
  sandbox: Sandbox;
  /** The app's namespace: "default" on the sandbox, a fresh one per app on the real cluster. */
  namespace: string;
  /** True when the suite runs against the real control plane (npm run test:cluster). */
  onCluster: boolean;
  /** A kubeconfig for kubectl with grayctl's identity (on the cluster: straight to the API server over TLS). */
  kubectlKubeconfig: string;
  /** Creates an object in the app's namespace as a team would: in the store, or through the real API. */
  create(t: ResourceType, object: KubeObject): Promise<KubeObject>;
  /** Changes an object in the app's namespace as a team would (read, change, replace). */
  mutate(t: ResourceType, name: string, change: (object: KubeObject) => void): Promise<KubeObject>;
  /** Deletes an object in the app's namespace as a team would (its dependants are garbage-collected). */
  remove(t: ResourceType, name: string): Promise<void>;
  dir: string;
  configPath: string;
  grayctl(args: string[], options?: { timeoutMs?: number; env?: Record<string, string> }): Promise<CliResult>;
  /** The same, in the background. */
  spawn(args: string[], options?: { env?: Record<string, string> }): RunningCli;
  /** The recorded rollout state (the ConfigMap), read straight from the sandbox's store. */
  state(): { phase?: string; stepIndex?: number; weight?: number; image?: string } | undefined;
  history(): { revision: number; image: string; outcome: string; actor: string; reason?: string }[];
  stop(): Promise<void>;
}

export async function startSandboxApp(
  configYaml: string,
  options: Omit<SandboxOptions, "kubeconfigPath"> = {},
): Promise<SandboxApp> {
  configYaml = withTestScaleDownDelay(configYaml);
  const dir = await mkdtemp(join(tmpdir(), "grayctl-it-"));
  const kubeconfigPath = join(dir, "kubeconfig");
  const onCluster = clusterKubeconfig() !== undefined;
  // On the real cluster every app gets a namespace of its own, so suites can run side by side.
  const ns = onCluster ? testNamespace(appName(configYaml)) : namespace(configYaml);
  if (onCluster) configYaml = withNamespace(configYaml, ns);
  const cluster = onCluster ? await startClusterSandbox(ns, kubeconfigPath, options, appName(configYaml)) : undefined;
  const sandbox = cluster ?? (await startSandbox({ ...options, kubeconfigPath }));
  const configPath = join(dir, "grayctl.yaml");
  const stateData = () =>
    sandbox.store.get(R.configmaps, ns, `${appName(configYaml)}-grayctl`)?.data as Record<string, string> | undefined;
  await writeFile(configPath, configYaml);
  return {
    sandbox,
    namespace: ns,
    onCluster,
    kubectlKubeconfig: cluster?.kubectlKubeconfigPath ?? sandbox.kubeconfigPath,
    create: async (t, object) => (cluster ? cluster.create(t, object) : sandbox.store.create(t, ns, object)),
    mutate: async (t, name, change) =>
      cluster ? cluster.mutate(t, name, change) : sandbox.store.mutate(t, ns, name, change)!,
    remove: async (t, name) => {
      if (cluster) await cluster.remove(t, name);
      else sandbox.store.delete(t, ns, name);
    },
    dir,
    configPath,
    grayctl: async (args, options = {}) => {
      const result = await runCli(["--kubeconfig", sandbox.kubeconfigPath, "--config", configPath, ...args], {
        cwd: dir,
        timeoutMs: options.timeoutMs ?? 120_000,
        env: { GRAYCTL_ACTOR: "test-runner", ...options.env },
      });
      // The suites read the cluster synchronously next: let the mirror catch up first.
      await cluster?.settle();
      return result;
    },
    spawn: (args, options = {}) =>
      spawnCli(["--kubeconfig", sandbox.kubeconfigPath, "--config", configPath, ...args], {
        cwd: dir,
        env: { GRAYCTL_ACTOR: "test-runner", ...options.env },
      }),
    state: () => {
      const raw = stateData()?.state;
      return raw ? JSON.parse(raw) : undefined;
    },
    history: () => {
      const raw = stateData()?.history;
      return raw ? JSON.parse(raw) : [];
    },
    async stop() {
      await sandbox.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * rollout.scaleDownDelay defaults to 30 s (decision 016): waiting that long in
 * every promotion and rollback of every suite would add many minutes and test
 * nothing. The sandbox's front door applies weights at once, so suites run with
 * 0s unless they set it; the suites about the delay set it (e.g.
 * test/real/rollout-router-lag.test.ts).
 */
function withTestScaleDownDelay(yaml: string): string {
  if (/scaleDownDelay/.test(yaml)) return yaml;
  if (/^rollout:\s*$/m.test(yaml)) return yaml.replace(/^rollout:\s*$/m, "rollout:\n  scaleDownDelay: 0s");
  return `${yaml.trimEnd()}\nrollout:\n  scaleDownDelay: 0s\n`;
}

function withNamespace(yaml: string, ns: string): string {
  return /^namespace:/m.test(yaml) ? yaml.replace(/^namespace:.*$/m, `namespace: ${ns}`) : `namespace: ${ns}\n${yaml}`;
}

const appName = (yaml: string) => /^app:\s*(\S+)/m.exec(yaml)?.[1] ?? "app";
const namespace = (yaml: string) => /^namespace:\s*(\S+)/m.exec(yaml)?.[1] ?? "default";

/** Polls a condition with a deadline; returns its value or throws naming what it waited for. */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
