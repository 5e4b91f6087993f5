// A bounded, paced load generator for rollout tests and the demo: `rate` requests per second
// to a front door (the sandbox's or a real nginx) with a Host header, at most
// `concurrency` in flight, for `durationMs` or until stop(). It counts what a
// user would see: answers by status and by the version that answered
// (x-version), connection failures, and 5xx — split into 5xx a pod answered
// (the app's own errors) and 5xx no pod answered (the routing layer's: 502/503
// from a proxy with nowhere to send the request). The latter, and connection
// failures, are what a promotion or a rollback must never cause.
import http from "node:http";

export interface LoadOptions {
  url: string;
  host: string;
  /** Requests started per second. */
  rate: number;
  /** Stop starting requests after this long (default 60 s; every load has an end). */
  durationMs?: number;
  /** Requests in flight at most; a request that would exceed it is counted as skipped. */
  concurrency?: number;
  path?: string;
  headers?: Record<string, string>;
  /** Per-request timeout (default 5 s). */
  timeoutMs?: number;
  /** For apps that cannot set x-version (a static file server): a 2xx body is the version. */
  versionFromBody?: boolean;
}

export interface LoadEvent {
  at: number;
  status?: number;
  version?: string;
  error?: string;
  /** Retried once on a fresh connection: the server closed a reused keep-alive connection first. */
  retried?: boolean;
}

export interface LoadTally {
  sent: number;
  answered: number;
  statuses: Record<string, number>;
  versions: Record<string, number>;
  /** Connection failures and timeouts: no HTTP answer at all. */
  failed: number;
  /** 5xx answered by a pod (carries x-version): the app's own errors. */
  appErrors: number;
  /** 5xx with no x-version: the routing layer had no pod to send the request to. */
  routingErrors: number;
  /** Requests not started because `concurrency` were already in flight. */
  skipped: number;
  /**
   * Requests retried because a reused keep-alive connection was closed before
   * answering (nginx retires idle connections on reload). Browsers, curl and Go
   * retry these idempotent requests; Node's http does not, so this helper does,
   * once, as sandbox/traffic/load.ts does. Not an error a user sees.
   */
  retried: number;
  /** The first few failures and routing errors, with their time. */
  samples: LoadEvent[];
  /** Start times of the first and last request that failed or met a routing 5xx. */
  errorSpan?: { first: number; last: number };
}

export interface RunningLoad {
  /** The counts so far of the requests started in [from, to) (epoch ms; default all). */
  tally(from?: number, to?: number): LoadTally;
  /** Stops starting requests and waits for those in flight. */
  stop(): Promise<LoadTally>;
  /** Resolves when the duration is over and every request has ended. */
  done: Promise<LoadTally>;
}

const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

export function tallyOf(events: LoadEvent[], skipped = 0): LoadTally {
  const tally: LoadTally = {
    sent: events.length,
    answered: 0,
    statuses: {},
    versions: {},
    failed: 0,
    appErrors: 0,
    routingErrors: 0,
    skipped,
    retried: 0,
    samples: [],
  };
  const spanOf = (event: LoadEvent) => {
    tally.errorSpan = {
      first: Math.min(tally.errorSpan?.first ?? event.at, event.at),
      last: Math.max(tally.errorSpan?.last ?? 0, event.at),
    };
  };
  for (const event of events) {
    if (event.retried) tally.retried++;
    if (event.status === undefined) {
      tally.failed++;
      spanOf(event);
      if (tally.samples.length < 10) tally.samples.push(event);
      continue;
    }
    tally.answered++;
    bump(tally.statuses, String(event.status));
    if (event.version) bump(tally.versions, event.version);
    if (event.status >= 500) {
      if (event.version) tally.appErrors++;
      else {
        tally.routingErrors++;
        spanOf(event);
        if (tally.samples.length < 10) tally.samples.push(event);
      }
    }
  }
  return tally;
}

export function startLoad(options: LoadOptions): RunningLoad {
  const { hostname, port } = new URL(options.url);
  const concurrency = options.concurrency ?? 64;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const events: LoadEvent[] = [];
  const inFlight = new Set<Promise<void>>();
  let skipped = 0;
  let stopped = false;
  const started = Date.now();
  const endAt = started + (options.durationMs ?? 60_000);

  const usedSockets = new WeakSet<object>();
  const once = (event: LoadEvent, fresh = false): Promise<void> =>
    new Promise<void>((resolve) => {
      let reused = false;
      const req = http.get(
        {
          host: hostname,
          port,
          path: options.path ?? "/",
          agent: fresh ? false : agent,
          headers: { ...options.headers, host: options.host },
          timeout: options.timeoutMs ?? 5_000,
        },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            if (body.length < 200) body += chunk;
          });
          res.on("end", () => {
            event.status = res.statusCode ?? 0;
            event.version = res.headers["x-version"] as string | undefined;
            if (!event.version && options.versionFromBody && event.status < 300)
              event.version = body.trim().slice(0, 64);
            resolve();
          });
          res.on("error", (error) => {
            event.error = error.message;
            resolve();
          });
        },
      );
      req.on("socket", (socket) => {
        reused = usedSockets.has(socket);
        usedSockets.add(socket);
      });
      req.on("timeout", () => req.destroy(new Error("request timed out")));
      req.on("error", (error: NodeJS.ErrnoException) => {
        if (reused && !fresh && (error.code === "ECONNRESET" || error.code === "EPIPE")) {
          event.retried = true;
          resolve(once(event, true));
          return;
        }
        event.error = `${error.code ?? ""} ${error.message}`.trim();
        resolve();
      });
    });

  // Paced by the clock, not by answers: a slow canary must not slow the offered load.
  const done = new Promise<LoadTally>((resolve) => {
    let due = 0;
    const tick = setInterval(() => {
      const now = Date.now();
      if (stopped || now >= endAt) {
        clearInterval(tick);
        void Promise.all(inFlight).then(() => {
          agent.destroy();
          resolve(tallyOf(events, skipped));
        });
        return;
      }
      const target = Math.floor(((now - started) / 1000) * options.rate);
      for (; due < target; due++) {
        if (inFlight.size >= concurrency) {
          skipped++;
          continue;
        }
        const event: LoadEvent = { at: Date.now() };
        events.push(event);
        const pending = once(event).finally(() => inFlight.delete(pending));
        inFlight.add(pending);
      }
    }, 10);
  });

  return {
    tally: (from = 0, to = Number.POSITIVE_INFINITY) =>
      tallyOf(
        events.filter((event) => event.at >= from && event.at < to && (event.status !== undefined || event.error)),
      ),
    stop: () => {
      stopped = true;
      return done;
    },
    done,
  };
}

/** One line for a test's output: what users saw. */
export function describeTally(label: string, tally: LoadTally): string {
  const versions = Object.entries(tally.versions)
    .map(([version, count]) => `${version}=${count}`)
    .join(" ");
  return `${label}: ${tally.sent} requests, ${tally.answered} answered [${versions}], statuses ${JSON.stringify(tally.statuses)}, app 5xx ${tally.appErrors}, routing 5xx ${tally.routingErrors}, connection failures ${tally.failed}, retried on a fresh connection ${tally.retried}, skipped ${tally.skipped}`;
}
