// Readiness and liveness probes as kubelet runs them: httpGet (2xx/3xx passes)
// or tcpSocket, every periodSeconds after initialDelaySeconds, with
// successThreshold/failureThreshold consecutive results needed to flip.
import { request } from "node:http";
import { connect } from "node:net";

export interface ProbeSpec {
  httpGet?: { host?: string; path?: string; port: number | string; httpHeaders?: { name: string; value: string }[] };
  tcpSocket?: { port: number | string };
  exec?: unknown;
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export type ResolvePort = (port: number | string) => number | undefined;

function httpProbe(
  host: string,
  port: number,
  path: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, headers, timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * One probe attempt. exec probes cannot run against a process; they pass.
 * `host` is where the container listens: loopback in the sandbox, the pod IP on a
 * node (kubelet probes the pod IP unless httpGet.host says otherwise).
 */
export async function probeOnce(spec: ProbeSpec, resolvePort: ResolvePort, host = "127.0.0.1"): Promise<boolean> {
  const timeoutMs = (spec.timeoutSeconds ?? 1) * 1000;
  if (spec.httpGet) {
    const port = resolvePort(spec.httpGet.port);
    if (port === undefined) return false;
    const headers = Object.fromEntries((spec.httpGet.httpHeaders ?? []).map((h) => [h.name, h.value]));
    return httpProbe(spec.httpGet.host || host, port, spec.httpGet.path ?? "/", headers, timeoutMs);
  }
  if (spec.tcpSocket) {
    const port = resolvePort(spec.tcpSocket.port);
    return port === undefined ? false : tcpProbe(host, port, timeoutMs);
  }
  return true;
}

/**
 * Runs a probe on its period until stopped. `onChange(true|false)` fires when
 * the thresholds flip the result; `initial` is the result before any probe.
 */
export class Prober {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  private result: boolean;
  private readonly spec: ProbeSpec;
  private readonly resolvePort: ResolvePort;
  private readonly onChange: (ok: boolean) => void;
  private readonly host: string;

  constructor(
    spec: ProbeSpec,
    resolvePort: ResolvePort,
    initial: boolean,
    onChange: (ok: boolean) => void,
    host = "127.0.0.1",
  ) {
    this.spec = spec;
    this.resolvePort = resolvePort;
    this.result = initial;
    this.onChange = onChange;
    this.host = host;
  }

  start(): void {
    this.schedule((this.spec.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    const ok = await probeOnce(this.spec, this.resolvePort, this.host);
    if (this.stopped) return;
    if (ok) {
      this.successes++;
      this.failures = 0;
      if (!this.result && this.successes >= (this.spec.successThreshold ?? 1)) this.flip(true);
    } else {
      this.failures++;
      this.successes = 0;
      if (this.result && this.failures >= (this.spec.failureThreshold ?? 3)) this.flip(false);
    }
    this.schedule((this.spec.periodSeconds ?? 10) * 1000);
  }

  private flip(ok: boolean): void {
    this.result = ok;
    this.onChange(ok);
  }
}
