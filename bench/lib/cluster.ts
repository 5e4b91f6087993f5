// What the status and rollback-inflight cases run against — the sandbox, with a
// per-request API latency that can change between cases, or the real control
// plane (bench/lib/real-cluster.ts) — with a request counter and
// `grayctl`/`kubectl` runners; the other cases use the sandbox only.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Sandbox, type SandboxOptions, startSandbox } from "../../sandbox/index.ts";
import type { Store } from "../../sandbox/store.ts";
import { type Counted, type Run, timed } from "./measure.ts";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The launcher as users run it: the bundle (GRAYCTL_UNBUNDLED unset). */
export const GRAYCTL = join(ROOT, "bin/grayctl.js");
export const KUBECTL = "/usr/bin/kubectl";
/** The single binary (npm run build:binary; run.ts builds it before the startup and status cases). */
export const BINARY = join(ROOT, "dist/bin/grayctl-linux-x64");

export interface BenchTarget {
  name: "sandbox" | "real cluster";
  /** The apps' namespace (its kubeconfig's context names it too). */
  namespace: string;
  /** The cluster as its API serves it: the sandbox's own store, or a mirror of the real API server. */
  store: Store;
  dir: string;
  /** Counts API requests while `act` runs; requests is undefined where this path is not counted. */
  counting<T>(act: () => Promise<T>): Promise<{ value: T; requests?: number }>;
  /** A command run, with the API requests it made (where counted). */
  counted(act: () => Promise<Run>): Promise<Counted>;
  writeConfig(name: string, yaml: string): Promise<string>;
  grayctl(config: string, args: string[]): Promise<Run>;
  kubectl(args: string[]): Promise<Run>;
  /** grayctl's single binary, with the same arguments as grayctl(). */
  binary(config: string, args: string[]): Promise<Run>;
  grayctlArgs(config: string, args: string[]): string[];
  /**
   * The same cluster through a path that counts API requests, for separate
   * counting runs; absent where the timed runs count their own (the sandbox).
   */
  counter?: BenchTarget;
  stop(): Promise<void>;
}

export interface BenchCluster extends BenchTarget {
  name: "sandbox";
  sandbox: Sandbox;
  /** Every API request from now on adds this many milliseconds (0: none). */
  setLatency(ms: number): void;
  /** Counts API requests while `act` runs (every client's: run one at a time). */
  counting<T>(act: () => Promise<T>): Promise<{ value: T; requests: number }>;
}

/** grayctl and kubectl as an engineer runs them with one kubeconfig; kubectl's discovery cache lives in `dir`. */
export function commandRunners(kubeconfigPath: string, dir: string) {
  // GRAYCTL_UNBUNDLED is dropped so the launcher runs the bundle, as installed.
  const { GRAYCTL_UNBUNDLED: _, ...env } = process.env;
  const childEnv = { ...env, GRAYCTL_ACTOR: "bench", NO_COLOR: "1" };
  const grayctlArgs = (config: string, args: string[]) => [
    GRAYCTL,
    "--kubeconfig",
    kubeconfigPath,
    "--config",
    config,
    ...args,
  ];
  return {
    grayctlArgs,
    grayctl: (config: string, args: string[]) =>
      timed(process.execPath, grayctlArgs(config, args), { env: childEnv, cwd: dir }),
    binary: (config: string, args: string[]) =>
      timed(BINARY, grayctlArgs(config, args).slice(1), { env: childEnv, cwd: dir }),
    // kubectl's discovery cache lives in the run's directory, warmed by each case's warm-up run.
    kubectl: (args: string[]) =>
      timed(KUBECTL, ["--kubeconfig", kubeconfigPath, "--cache-dir", join(dir, "kube-cache"), ...args], {
        env: childEnv,
      }),
  };
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
  const cluster: BenchCluster = {
    name: "sandbox",
    namespace: "default",
    store: sandbox.store,
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
    ...commandRunners(sandbox.kubeconfigPath, dir),
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
