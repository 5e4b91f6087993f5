// A Prometheus HTTP API client for instant queries (/api/v1/query), built for
// gates: every outcome is a value, a failure carries a reason a person can act
// on, transient failures (network errors, timeouts, 429, 5xx) are retried with
// backoff until a deadline, and secrets never appear in any message.

import { Redactor } from "../output/redact.ts";
import type { AnalysisClock, PrometheusSettings } from "./settings.ts";

export interface PromSample {
  labels: Record<string, string>;
  value: number;
}

export type QueryResult = { ok: true; samples: PromSample[] } | { ok: false; why: string };

export interface PrometheusClient {
  /** The server's address without credentials, for messages. */
  readonly address: string;
  query(promql: string, at: Date, signal?: AbortSignal): Promise<QueryResult>;
}

type Attempt = { done: true; result: QueryResult } | { done: false; why: string; retryAfterMs?: number };

function parseBody(body: unknown): QueryResult {
  const data = (body as { data?: { resultType?: string; result?: unknown } } | null)?.data;
  const number = (pair: unknown) => (Array.isArray(pair) ? Number(pair[1]) : Number.NaN);
  if (data?.resultType === "scalar") return { ok: true, samples: [{ labels: {}, value: number(data.result) }] };
  if (data?.resultType !== "vector" || !Array.isArray(data.result)) {
    return { ok: false, why: `expected an instant vector, got ${data?.resultType ?? "no data"}` };
  }
  const samples = data.result.map((item: { metric?: Record<string, string>; value?: unknown }) => ({
    labels: item.metric ?? {},
    value: number(item.value),
  }));
  return { ok: true, samples };
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}

export function createPrometheusClient(
  settings: PrometheusSettings,
  deps: { fetch?: typeof fetch; clock: AnalysisClock },
): PrometheusClient {
  const doFetch = deps.fetch ?? fetch;
  const url = new URL(settings.url);
  // fetch() refuses URLs with credentials: move them into basic auth.
  const username = settings.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password = settings.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  url.username = "";
  url.password = "";
  const base = url.href.replace(/\/+$/, "");
  const endpoint = `${base}/api/v1/query`;
  const headers: Record<string, string> = { accept: "application/json", ...settings.headers };
  // Its own redactor besides the reporter's: these values are derived here (the basic-auth pair).
  const redactor = new Redactor();
  const secrets: string[] = [];
  if (settings.bearerToken) {
    headers.authorization = `Bearer ${settings.bearerToken}`;
    secrets.push(settings.bearerToken);
  } else if (username !== undefined) {
    const encoded = Buffer.from(`${username}:${password ?? ""}`).toString("base64");
    headers.authorization = `Basic ${encoded}`;
    secrets.push(encoded);
  }
  if (password) secrets.push(password);
  // Masked before an answer is cut (the reporter masks them too, but only after the cut).
  secrets.push(...Object.values(settings.headers ?? {}));
  for (const secret of secrets) redactor.add(secret);
  const redact = (text: string) => redactor.text(text);
  const method = settings.method ?? "POST";
  const deadlineMs = settings.deadlineMs ?? settings.timeoutMs * 3;

  async function attempt(promql: string, at: Date, timeoutMs: number, signal?: AbortSignal): Promise<Attempt> {
    const form = new URLSearchParams({ query: promql, time: (at.getTime() / 1000).toFixed(3) });
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let response: Response;
    let text: string;
    try {
      response = await doFetch(method === "GET" ? `${endpoint}?${form}` : endpoint, {
        method,
        headers: method === "POST" ? { ...headers, "content-type": "application/x-www-form-urlencoded" } : headers,
        body: method === "POST" ? form.toString() : undefined,
        signal: combined,
      });
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) return { done: true, result: { ok: false, why: "cancelled" } };
      if (timeout.aborted) return { done: false, why: `no answer within ${timeoutMs} ms` };
      return { done: false, why: `unreachable (${networkReason(error)})` };
    }
    let body: { status?: string; errorType?: string; error?: string } | null = null;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: a proxy's error page, say; the status code tells the story
    }
    if (response.status === 200 && body?.status === "success") return { done: true, result: parseBody(body) };
    const detail =
      body?.status === "error" ? `${body.errorType ?? "error"}: ${body.error ?? ""}` : redact(text).slice(0, 200);
    const why = `HTTP ${response.status}${detail ? ` (${detail.trim()})` : ""}`;
    if (response.status === 429 || response.status >= 500) {
      const retryAfter = Number(response.headers.get("retry-after"));
      return { done: false, why, retryAfterMs: Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined };
    }
    const hint = response.status === 401 || response.status === 403 ? "; check the credentials" : "";
    return { done: true, result: { ok: false, why: `query rejected: ${why}${hint}` } };
  }

  return {
    address: base,
    async query(promql, at, signal) {
      const started = deps.clock.now();
      const deadline = started + deadlineMs;
      let delayMs = 250;
      for (let attempts = 1; ; attempts++) {
        const remaining = Math.max(1, Math.min(settings.timeoutMs, deadline - deps.clock.now()));
        const outcome = await attempt(promql, at, remaining, signal);
        if (outcome.done) {
          return outcome.result.ok
            ? outcome.result
            : { ok: false, why: redact(`Prometheus at ${base}: ${outcome.result.why}`) };
        }
        const wait = Math.min(Math.max(delayMs, outcome.retryAfterMs ?? 0), 5000);
        const elapsed = deps.clock.now() - started;
        if (deps.clock.now() + wait >= deadline || attempts >= 10 || signal?.aborted) {
          const verb = outcome.why.startsWith("unreachable")
            ? "is"
            : outcome.why.startsWith("HTTP")
              ? "answered"
              : "gave";
          const why = `Prometheus at ${base} ${verb} ${outcome.why} after ${attempts} attempt${attempts > 1 ? "s" : ""} in ${(elapsed / 1000).toFixed(1)} s`;
          return { ok: false, why: redact(why) };
        }
        await deps.clock.sleep(wait, signal).catch(() => undefined);
        delayMs *= 2;
      }
    },
  };
}
