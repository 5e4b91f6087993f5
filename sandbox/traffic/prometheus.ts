// Starts a real Prometheus for tests: loopback port, 1 s scrapes, targets from a
// file_sd JSON file (the one startTraffic keeps), storage in a temp dir. The
// analysis tests reuse this to query metrics the sandbox's pods expose.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./nginx.ts";

export const MISSING_PROMETHEUS_HINT =
  "prometheus is not installed: run scripts/real-parts.sh (or scripts/real-parts/prometheus.sh)";

export interface PrometheusOptions {
  /** file_sd JSON file to scrape targets from. */
  targetsFile: string;
  binary?: string;
  port?: number;
  scrapeIntervalSeconds?: number;
  /** Give up waiting for /-/ready after this long. */
  readyTimeoutMs?: number;
}

export interface RunningPrometheus {
  url: string;
  pid: number;
  /** Instant query; returns `data.result` of the Prometheus HTTP API. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A deadline that does not keep the process alive once the race is decided. */
const timeLimit = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const binary = options.binary ?? "prometheus";
  const dir = await mkdtemp(join(tmpdir(), "grayctl-prometheus-"));
  const port = options.port ?? (await freePort());
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const config = [
    "global:",
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    "scrape_configs:",
    "  - job_name: sandbox-pods",
    "    file_sd_configs:",
    `      - files: [${JSON.stringify(options.targetsFile)}]`,
    "        refresh_interval: 1s",
    "",
  ].join("\n");
  const configFile = join(dir, "prometheus.yml");
  await writeFile(configFile, config);
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--web.enable-lifecycle",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let output = "";
  child.stderr?.on("data", (chunk) => (output = (output + chunk).slice(-4000)));
  let exited = false;
  let spawnError: Error | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once("error", (error) => {
      spawnError = error;
      exited = true;
      resolve();
    });
    child.once("exit", () => {
      exited = true;
      resolve();
    });
  });
  const url = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (!exited) {
      child.kill("SIGTERM"); // our own child, by PID
      const done = await Promise.race([exit.then(() => true), timeLimit(10_000).then(() => false)]);
      if (!done) child.kill("SIGKILL");
      await exit;
    }
    await rm(dir, { recursive: true, force: true });
  };

  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) {
      await stop();
      if ((spawnError as NodeJS.ErrnoException | undefined)?.code === "ENOENT")
        throw new Error(`${MISSING_PROMETHEUS_HINT} (looked for ${binary})`);
      throw new Error(`prometheus exited before it was ready: ${spawnError?.message ?? output}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus on ${url} was not ready within ${timeoutMs} ms: ${output}`);
    }
    await sleep(100);
  }

  return {
    url,
    pid: child.pid!,
    query: async (promql) => {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as { status: string; error?: string; data?: { result: [] } };
      if (body.status !== "success") throw new Error(`prometheus query ${promql} failed: ${body.error}`);
      return body.data?.result ?? [];
    },
    stop,
  };
}
