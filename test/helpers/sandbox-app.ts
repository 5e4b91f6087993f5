// A sandbox cluster plus a grayctl.yaml for one app, for tests that run the
// grayctl binary against it exactly as a user would (--kubeconfig).
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Sandbox, type SandboxOptions, startSandbox } from "../../sandbox/index.ts";
import { R } from "../../sandbox/resources.ts";
import { type CliResult, type RunningCli, runCli, spawnCli } from "./cli.ts";

/** Demo-app images by digest, as grayctl deploys them: sandbox.local/demo-app:TAG@sha256:… */
export function demoImage(tag: string): string {
  return `sandbox.local/demo-app:${tag}@sha256:${createHash("sha256").update(tag).digest("hex")}`;
}

export interface SandboxApp {
  sandbox: Sandbox;
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
  const dir = await mkdtemp(join(tmpdir(), "grayctl-it-"));
  const sandbox = await startSandbox({ ...options, kubeconfigPath: join(dir, "kubeconfig") });
  const configPath = join(dir, "grayctl.yaml");
  const stateData = () =>
    sandbox.store.get(R.configmaps, namespace(configYaml), `${appName(configYaml)}-grayctl`)?.data as
      | Record<string, string>
      | undefined;
  await writeFile(configPath, configYaml);
  return {
    sandbox,
    dir,
    configPath,
    grayctl: (args, options = {}) =>
      runCli(["--kubeconfig", sandbox.kubeconfigPath, "--config", configPath, ...args], {
        cwd: dir,
        timeoutMs: options.timeoutMs ?? 120_000,
        env: { GRAYCTL_ACTOR: "test-runner", ...options.env },
      }),
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
