// The sandbox a benchmark runs against, with a per-request API latency that can
// change between cases, a request counter, and `grayctl`/`kubectl` runners.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Sandbox, type SandboxOptions, startSandbox } from "../../sandbox/index.ts";
import { type Counted, type Run, timed } from "./measure.ts";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The launcher as users run it: the bundle (GRAYCTL_UNBUNDLED unset). */
export const GRAYCTL = join(ROOT, "bin/grayctl.js");
export const KUBECTL = "/usr/bin/kubectl";

export interface BenchCluster {
  sandbox: Sandbox;
  dir: string;
  /** Every API request from now on adds this many milliseconds (0: none). */
  setLatency(ms: number): void;
  /** Counts API requests while `act` runs (every client's: run one at a time). */
  counting<T>(act: () => Promise<T>): Promise<{ value: T; requests: number }>;
  /** A command run, with the API requests it made. */
  counted(act: () => Promise<Run>): Promise<Counted>;
  writeConfig(name: string, yaml: string): Promise<string>;
  grayctl(config: string, args: string[]): Promise<Run>;
  kubectl(args: string[]): Promise<Run>;
  grayctlArgs(config: string, args: string[]): string[];
  stop(): Promise<void>;
}

export async function startBenchCluster(options: Omit<SandboxOptions, "onRequest" | "kubeconfigPath"> = {}) {
  const dir = await mkdtemp(join(tmpdir(), "grayctl-bench-"));
  let requests = 0;
  const sandbox = await startSandbox({
    ...options,
    kubeconfigPath: join(dir, "kubeconfig"),
    onRequest: () => {
      requests++;
    },
  });
  // GRAYCTL_UNBUNDLED is dropped so the launcher runs the bundle, as installed.
  const { GRAYCTL_UNBUNDLED: _, ...env } = process.env;
  const childEnv = { ...env, GRAYCTL_ACTOR: "bench", NO_COLOR: "1" };
  const grayctlArgs = (config: string, args: string[]) => [
    GRAYCTL,
    "--kubeconfig",
    sandbox.kubeconfigPath,
    "--config",
    config,
    ...args,
  ];
  const cluster: BenchCluster = {
    sandbox,
    dir,
    setLatency(ms) {
      sandbox.faults.set(ms > 0 ? [{ name: "latency", action: { type: "latency", ms } }] : []);
    },
    async counting(act) {
      const before = requests;
      const value = await act();
      return { value, requests: requests - before };
    },
    async counted(act) {
      const { value, requests } = await cluster.counting(act);
      return { run: value, requests };
    },
    async writeConfig(name, yaml) {
      const file = join(dir, `${name}.yaml`);
      await writeFile(file, yaml);
      return file;
    },
    grayctl: (config, args) => timed(process.execPath, grayctlArgs(config, args), { env: childEnv, cwd: dir }),
    // kubectl's discovery cache lives in the run's directory, warmed by the first call.
    kubectl: (args) =>
      timed(KUBECTL, ["--kubeconfig", sandbox.kubeconfigPath, "--cache-dir", join(dir, "kube-cache"), ...args], {
        env: childEnv,
      }),
    grayctlArgs,
    async stop() {
      await sandbox.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

/** Polls a condition with a deadline; throws naming what it waited for. */
export async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function demoImage(tag: string): string {
  const digest = Buffer.from(tag).toString("hex").padEnd(64, "0").slice(0, 64);
  return `sandbox.local/demo-app:${tag}@sha256:${digest}`;
}
