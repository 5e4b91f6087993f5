// Test support: sends a bounded number of real HTTP requests to a proxy with
// bounded concurrency and tallies where they landed, by the version the pod
// answered (x-version) and by status. Failed connections are counted, not thrown,
// so tests can assert "zero errors during a reload".
import http from "node:http";

export interface LoadResult {
  total: number;
  statuses: Record<string, number>;
  versions: Record<string, number>;
  pods: Record<string, number>;
  /** Requests that failed below HTTP (connection refused or reset), after any retry. */
  errors: number;
  /**
   * Requests retried because a reused keep-alive connection was closed by the
   * server before answering. Browsers, curl and Go retry these idempotent requests
   * the same way; Node's http does not, and its docs recommend this retry
   * (`request.reusedSocket`; tracked here per socket, because Node leaves that
   * flag unset when the agent hands a freed socket to a queued request). nginx closes idle keep-alive connections when a
   * reload retires a worker, so this is how a reload looks to a real client.
   */
  retries: number;
  errorMessages: string[];
}

export interface LoadOptions {
  url: string;
  host: string;
  count: number;
  concurrency?: number;
  headers?: Record<string, string>;
  path?: string;
  /** Reuse connections (default) or open one per request. */
  keepAlive?: boolean;
  /** Abort with an error after this long; every wait has a deadline. */
  timeoutMs?: number;
}

class StaleConnectionError extends Error {}

function once(
  agent: http.Agent | false,
  options: LoadOptions,
  /** Sockets that already carried a request. */
  used: WeakSet<object>,
): Promise<{ status: number; version?: string; pod?: string }> {
  const { hostname, port } = new URL(options.url);
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: hostname,
        port,
        path: options.path ?? "/",
        agent,
        headers: { ...options.headers, host: options.host },
        timeout: 5000,
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            version: res.headers["x-version"] as string | undefined,
            pod: res.headers["x-sandbox-pod"] as string | undefined,
          }),
        );
        res.on("error", reject);
      },
    );
    let reused = false;
    req.on("socket", (socket) => {
      reused = used.has(socket);
      used.add(socket);
    });
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", (error: NodeJS.ErrnoException) => {
      const stale = reused && error.code === "ECONNRESET";
      reject(
        stale
          ? new StaleConnectionError(error.message)
          : new Error(`${error.message} code=${error.code} reused=${reused} agent=${agent !== false}`),
      );
    });
  });
}

export async function sendLoad(options: LoadOptions): Promise<LoadResult> {
  const agent =
    options.keepAlive === false ? false : new http.Agent({ keepAlive: true, maxSockets: options.concurrency ?? 16 });
  const result: LoadResult = {
    total: 0,
    statuses: {},
    versions: {},
    pods: {},
    errors: 0,
    errorMessages: [],
    retries: 0,
  };
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let next = 0;
  const used = new WeakSet<object>();
  const worker = async () => {
    while (next < options.count) {
      next++;
      if (Date.now() > deadline)
        throw new Error(`load to ${options.url} (${options.host}) exceeded ${options.timeoutMs ?? 60_000} ms`);
      result.total++;
      try {
        const { status, version, pod } = await once(agent, options, used).catch((error) => {
          if (!(error instanceof StaleConnectionError)) throw error;
          result.retries++;
          return once(false, options, used); // on a fresh connection; a second failure is a real one
        });
        result.statuses[status] = (result.statuses[status] ?? 0) + 1;
        if (version) result.versions[version] = (result.versions[version] ?? 0) + 1;
        if (pod) result.pods[pod] = (result.pods[pod] ?? 0) + 1;
      } catch (error) {
        result.errors++;
        if (result.errorMessages.length < 5) result.errorMessages.push((error as Error).message);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency ?? 16 }, worker));
  } finally {
    if (agent) agent.destroy();
  }
  return result;
}

/** Share of `version` among requests answered by a pod, in percent. */
export function sharePercent(result: LoadResult, version: string): number {
  const answered = Object.values(result.versions).reduce((a, b) => a + b, 0);
  return answered === 0 ? 0 : ((result.versions[version] ?? 0) / answered) * 100;
}
