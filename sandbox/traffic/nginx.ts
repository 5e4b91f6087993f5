// Runs a real nginx with the configuration rendered from the route table, and
// reloads it (SIGHUP to the master we started: graceful, in-flight requests
// finish on the old workers) whenever routing or endpoints change, debounced.
// Everything nginx writes (pid, logs, temp files) stays inside workDir, so it
// runs as root without touching /etc or /var.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { renderNginxConfig, STATUS_HOST } from "./nginx-config.ts";
import type { Endpoint } from "../endpoints.ts";
import { type Backend, backendKey } from "./model.ts";
import type { RouteTable } from "./routes.ts";
import type { TrafficState } from "./state.ts";

export interface NginxOptions {
  /** Path to the nginx binary; "nginx" from PATH by default. */
  binary?: string;
  /** Directory for nginx.conf, pid, logs and temp files; a fresh temp dir by default (removed on stop). */
  workDir?: string;
  /** Port on 127.0.0.1; a free one by default. */
  port?: number;
  /** Quiet period before a change is rendered and nginx reloaded. */
  debounceMs?: number;
  /**
   * Apply each change this long after it happens, as an ingress controller does
   * (ingress-nginx syncs at a limited rate; Envoy's proxies get a new route
   * table moments after the write): the routing as it was then, weights and
   * endpoints alike, reaches nginx late.
   */
  syncLagMs?: number;
}

export const MISSING_NGINX_HINT = "nginx is not installed: run scripts/real-parts.sh (or scripts/real-parts/nginx.sh)";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A deadline that does not keep the process alive once the race is decided. */
const timeLimit = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The version the status host answers on a fresh connection, or undefined if nginx does not answer. */
function servedVersion(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: "127.0.0.1", port, path: "/", headers: { host: STATUS_HOST }, agent: false, timeout: 1000 },
      (res) => {
        let body = "";
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve(Number.parseInt(body, 10)));
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
  });
}

/** What nginx's configuration is rendered from: the route table and each backend's ready endpoints. */
interface RoutingView {
  table(): RouteTable;
  endpoints(backend: Backend): Endpoint[];
}

/** The routing as it is now, frozen: later changes to the store do not reach it. */
function snapshotOf(state: TrafficState): RoutingView {
  const table = state.table();
  const endpoints = new Map<string, Endpoint[]>();
  let frozen = false;
  const view: RoutingView = {
    table: () => table,
    endpoints: (backend) => {
      const key = backendKey(backend);
      if (!endpoints.has(key)) endpoints.set(key, frozen ? [] : state.endpoints(backend));
      return endpoints.get(key)!;
    },
  };
  // One render now reads every backend the table routes to; after it, nothing more is read from the store.
  renderNginxConfig({ table, endpoints: view.endpoints, port: 0, workDir: "/", runAsRoot: false }, 0);
  frozen = true;
  return view;
}

export async function startNginx(state: TrafficState, options: NginxOptions & { onError: (error: Error) => void }) {
  const binary = options.binary ?? "nginx";
  const ownDir = options.workDir === undefined;
  const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), "grayctl-nginx-")));
  for (const t of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"])
    await mkdir(join(workDir, "tmp", t), { recursive: true });
  const port = options.port ?? (await freePort());
  const confFile = join(workDir, "nginx.conf");
  const errorLog = join(workDir, "error.log");
  const args = ["-c", confFile, "-p", `${workDir}/`, "-e", errorLog];
  const runAsRoot = process.getuid?.() === 0;

  let version = 0;
  let lastBody = "";
  const live: RoutingView = { table: () => state.table(), endpoints: (b) => state.endpoints(b) };
  /** Renders `view` (the store as it is now, by default) and writes the config; true when it changed. */
  const writeConfig = async (view: RoutingView = live): Promise<boolean> => {
    const render = (v: number) =>
      renderNginxConfig({ table: view.table(), endpoints: view.endpoints, port, workDir, runAsRoot }, v);
    const body = render(0);
    if (body === lastBody) return false;
    lastBody = body;
    version++;
    await writeFile(`${confFile}.tmp`, render(version));
    await rename(`${confFile}.tmp`, confFile);
    return true;
  };

  await writeConfig();
  try {
    await run(binary, ["-t", ...args], { timeout: 10_000 });
  } catch (error) {
    const err = error as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === "ENOENT") throw new Error(`${MISSING_NGINX_HINT} (looked for ${binary})`);
    throw new Error(`nginx rejected the sandbox configuration ${confFile}: ${err.stderr ?? err.message}`);
  }
  const child: ChildProcess = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk) => (stderr += chunk));
  let exited = false;
  let stopping = false;
  let started = false;
  let timer: NodeJS.Timeout | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exited = true;
      // After startup, nginx dying on its own leaves the sandbox without its proxy: say so.
      if (!stopping && started)
        options.onError(new Error(`nginx (pid ${child.pid}) exited with ${signal ?? code}: ${stderr}`));
      resolve();
    }),
  );

  const waitForVersion = async (wanted: () => number, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    let inARow = 0;
    // Old workers keep accepting briefly after a reload; three answers in a row means the new ones took over.
    while (inARow < 3) {
      if (exited) throw new Error(`nginx exited: ${stderr || (await readFile(errorLog, "utf8").catch(() => ""))}`);
      if (Date.now() > deadline)
        throw new Error(`nginx did not serve config version ${wanted()} on 127.0.0.1:${port} within ${timeoutMs} ms`);
      inARow = (await servedVersion(port)) === wanted() ? inARow + 1 : 0;
      if (inARow < 3) await sleep(20);
    }
  };

  const stop = async () => {
    stopping = true;
    clearTimeout(timer);
    if (!exited && child.pid) {
      child.kill("SIGQUIT"); // graceful shutdown of the master we started, by its PID
      const killed = await Promise.race([exit.then(() => true), timeLimit(5000).then(() => false)]);
      if (!killed) child.kill("SIGKILL");
      await exit;
    }
    if (ownDir) await rm(workDir, { recursive: true, force: true });
  };

  try {
    await waitForVersion(() => version, 10_000);
    started = true;
  } catch (error) {
    await stop();
    throw error;
  }

  let applying: Promise<void> = Promise.resolve();
  const apply = async (view?: RoutingView) => {
    if (exited || !(await writeConfig(view))) return;
    try {
      await run(binary, ["-t", ...args], { timeout: 10_000 });
    } catch (error) {
      throw new Error(`nginx rejected config version ${version}: ${(error as { stderr?: string }).stderr ?? error}`);
    }
    child.kill("SIGHUP");
  };
  const lagMs = options.syncLagMs ?? 0;
  const lagging = new Set<NodeJS.Timeout>();
  const unsubscribe = state.onChange(() => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (lagMs <= 0) {
        applying = applying.then(() => apply()).catch(options.onError);
        return;
      }
      // The store as it is now reaches nginx lagMs later, each change after the same delay.
      const view = snapshotOf(state);
      const later = setTimeout(() => {
        lagging.delete(later);
        applying = applying.then(() => apply(view)).catch(options.onError);
      }, lagMs);
      lagging.add(later);
    }, options.debounceMs ?? 50);
  });

  return {
    url: `http://127.0.0.1:${port}`,
    workDir,
    pid: child.pid,
    /** Resolves once nginx serves the configuration for the store as it is now. */
    settled: async (timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while ((timer !== undefined || lagging.size > 0) && Date.now() < deadline) await sleep(10);
      await applying;
      await waitForVersion(() => version, Math.max(0, deadline - Date.now()));
    },
    stop: async () => {
      unsubscribe();
      for (const later of lagging) clearTimeout(later);
      clearTimeout(timer);
      // A reload in flight must finish before its directory goes (else nginx -t fails on it).
      await Promise.race([applying.catch(() => {}), timeLimit(5000)]);
      await stop();
    },
  };
}
