// One HTTP request with a deadline (hooks, notifications, web gates): the
// answer's status and a bounded body, or why there was none. Never throws.
import { proxiedFetch } from "./proxied-fetch.ts";

export interface WebRequest {
  url: string;
  method: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The environment whose HTTPS_PROXY/HTTP_PROXY/NO_PROXY apply (proxied-fetch.ts); none: direct. */
  env?: Record<string, string | undefined>;
}

export type WebResult = { ok: true; status: number; body: string } | { ok: false; why: string };

/** Enough of an answer for a number or an error message; a huge body is not read whole. */
const MAX_BODY_CHARS = 100_000;

export async function webCall(request: WebRequest): Promise<WebResult> {
  const deadline = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
  try {
    const send = request.env ? proxiedFetch(request.env) : fetch;
    const response = await send(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal,
      redirect: "follow",
    });
    const text = await response.text();
    return { ok: true, status: response.status, body: text.slice(0, MAX_BODY_CHARS) };
  } catch (error) {
    if (deadline.aborted) return { ok: false, why: `no answer within ${request.timeoutMs / 1000}s` };
    if (request.signal?.aborted) return { ok: false, why: "cancelled" };
    // undici hides the reason (ECONNREFUSED, ENOTFOUND) in the cause; the message alone says "fetch failed".
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { ok: false, why: cause?.code ?? cause?.message ?? (error as Error).message };
  }
}
