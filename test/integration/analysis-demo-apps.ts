// Test support for the analysis tests: real demo-app processes (the sandbox's
// stand-in application) on loopback ports, bounded load against them, a real
// clock, and scrapePod as a direct HTTP GET (in production the engine goes
// through the API server's pod proxy; the bytes are the same page).
import { type ChildProcess, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import type { AnalysisClock } from "../../src/analysis/settings.ts";
import type { PodRef } from "../../src/analysis/types.ts";
import { freePort } from "../../sandbox/traffic/nginx.ts";

export interface DemoApp {
  pod: PodRef;
  pid: number;
  stop(): Promise<void>;
}

export const realClock: AnalysisClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
};

export async function startDemoApp(
  name: string,
  track: "canary" | "stable",
  env: { ERROR_RATE?: string; LATENCY_MS?: string; VERSION?: string; STATUS_LABEL?: string },
  port?: number,
): Promise<DemoApp> {
  const listenPort = port ?? (await freePort());
  const child: ChildProcess = spawn(process.execPath, ["sandbox/demo-app/server.ts"], {
    env: { ...process.env, PORT: String(listenPort), VERSION: env.VERSION ?? name, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let output = "";
  const ready = new Promise<boolean>((resolve) => {
    child.stdout?.on("data", (chunk) => {
      output += chunk;
      if (output.includes("listening")) resolve(true);
    });
    child.stderr?.on("data", (chunk) => (output += chunk));
    exited.then(() => resolve(false));
  });
  const started = await Promise.race([ready, sleep(10_000).then(() => false)]);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM"); // our own child, by PID
    await Promise.race([exited, sleep(5000)]);
  };
  if (!started) {
    await stop();
    throw new Error(`demo-app ${name} did not start within 10 s: ${output}`);
  }
  return { pod: { name, namespace: "shop", track, port: listenPort }, pid: child.pid!, stop };
}

/** Sends `count` GET / requests with bounded concurrency; returns status tallies. */
export async function load(pod: PodRef, count: number, concurrency = 20): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  let sent = 0;
  const worker = async () => {
    while (sent < count) {
      sent++;
      const response = await fetch(`http://127.0.0.1:${pod.port}/`, { signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

export async function scrapeDirect(pod: PodRef, signal?: AbortSignal): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${pod.port}/metrics`, { signal });
  if (response.status !== 200) throw new Error(`HTTP ${response.status} from /metrics`);
  return response.text();
}
