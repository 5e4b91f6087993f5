// A sandbox cluster plus a grayctl.yaml for one app, for tests that run the
// grayctl binary against it exactly as a user would (--kubeconfig).
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Sandbox, startSandbox } from "../../sandbox/index.ts";
import { type CliResult, runCli } from "./cli.ts";

/** Demo-app images by digest, as grayctl deploys them: sandbox.local/demo-app:TAG@sha256:… */
export function demoImage(tag: string): string {
  return `sandbox.local/demo-app:${tag}@sha256:${createHash("sha256").update(tag).digest("hex")}`;
}

export interface SandboxApp {
  sandbox: Sandbox;
  dir: string;
  configPath: string;
  grayctl(args: string[], options?: { timeoutMs?: number; env?: Record<string, string> }): Promise<CliResult>;
  stop(): Promise<void>;
}

export async function startSandboxApp(configYaml: string): Promise<SandboxApp> {
  const dir = await mkdtemp(join(tmpdir(), "grayctl-it-"));
  const sandbox = await startSandbox({ kubeconfigPath: join(dir, "kubeconfig") });
  const configPath = join(dir, "grayctl.yaml");
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
    async stop() {
      await sandbox.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls a condition with a deadline; returns its value or throws naming what it waited for. */
export async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
