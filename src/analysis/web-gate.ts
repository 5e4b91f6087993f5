// The web gate: an HTTP request (a metrics vendor's query API, a status page,
// anything that answers JSON) whose answer yields one number through a
// JSONPath expression, judged against min/max. URL and body are templates
// with PromQL's variables and more (gate-env.ts), so one check can ask about
// either track. Missing, non-numeric or NaN values, errors and timeouts are
// inconclusive, never a pass. Headers (credentials) never reach a message.
import { JSONPath } from "jsonpath-plus";
import { decideThreshold } from "./decision-latency.ts";
import { inconclusive } from "./gate-common.ts";
import { webVariables } from "./gate-env.ts";
import type { AnalysisClock } from "./settings.ts";
import { fillTemplate } from "./template.ts";
import type { Gate, GateContext, GateResult, GateSource, GateValues } from "./types.ts";

export interface WebCheck {
  name: string;
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  /** A string sent as is, or a mapping sent as JSON; templates in either. */
  body?: string | Record<string, unknown>;
  /** JSONPath to the one number in the answer, e.g. $.series[0].pointlist[-1:][1]. */
  value: string;
  min?: number;
  max?: number;
  /** Ask for both tracks and judge canary − stable against min/max. */
  compare: boolean;
  /** One request's deadline; all attempts together end within three of them. */
  timeoutMs: number;
}

export interface WebGateDeps {
  clock: AnalysisClock;
  fetch?: typeof fetch;
  /** The step window, for {{interval}}. */
  intervalMs: number;
  /** Masks the secrets grayctl knows of in anything said. */
  redact: (text: string) => string;
}

type Track = "canary" | "stable";
type Fetched = { ok: true; value: number } | { ok: false; why: string };

const ATTEMPTS = 3;

function renderBody(
  body: WebCheck["body"],
  vars: Record<string, string>,
): { ok: true; text?: string } | { ok: false; why: string } {
  if (body === undefined) return { ok: true };
  if (typeof body === "string") {
    const filled = fillTemplate(body, vars);
    return filled.ok ? { ok: true, text: filled.query } : filled;
  }
  let failed: string | undefined;
  const fill = (node: unknown): unknown => {
    if (typeof node === "string") {
      const filled = fillTemplate(node, vars);
      if (!filled.ok) failed = filled.why;
      return filled.ok ? filled.query : node;
    }
    if (Array.isArray(node)) return node.map(fill);
    if (node !== null && typeof node === "object")
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, fill(v)]));
    return node;
  };
  const text = JSON.stringify(fill(body));
  return failed ? { ok: false, why: failed } : { ok: true, text };
}

/** The one number at `path`: exactly one match, a finite number (or a numeric string). */
export function numberAt(json: unknown, path: string): { ok: true; value: number } | { ok: false; why: string } {
  let matches: unknown[];
  try {
    matches = JSONPath({ path, json: json as object, wrap: true }) as unknown[];
  } catch (error) {
    return { ok: false, why: `value ${path}: ${(error as Error).message}` };
  }
  if (matches.length === 0) return { ok: false, why: `the answer has no value at ${path}` };
  if (matches.length > 1) return { ok: false, why: `${matches.length} values at ${path}; expected one` };
  const found = matches[0];
  const value = typeof found === "string" && found.trim() !== "" ? Number(found) : found;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return { ok: false, why: `the value at ${path} is ${JSON.stringify(found) ?? "undefined"}, not a number` };
  }
  return { ok: true, value };
}

export function createWebGate(check: WebCheck, deps: WebGateDeps): Gate {
  const doFetch = deps.fetch ?? fetch;
  let stableEarlier: number | undefined;

  async function attempt(url: string, body: string | undefined, signal?: AbortSignal) {
    const timeout = AbortSignal.timeout(check.timeoutMs);
    const headers: Record<string, string> = { accept: "application/json", ...check.headers };
    if (body !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === "content-type"))
      headers["content-type"] = "application/json";
    try {
      const response = await doFetch(url, {
        method: check.method,
        headers,
        body,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      return { status: response.status, text: await response.text() };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) return { why: `no answer within ${check.timeoutMs / 1000}s` };
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return { why: `unreachable (${cause?.code ?? cause?.message ?? (error as Error).message})` };
    }
  }

  async function ask(ctx: GateContext, track: Track): Promise<Fetched> {
    const vars = webVariables(ctx, track, deps.intervalMs);
    const url = fillTemplate(check.url, vars, encodeURIComponent);
    if (!url.ok) return url;
    const body = renderBody(check.body, vars);
    if (!body.ok) return body;
    let why = "";
    for (let attempts = 1; attempts <= ATTEMPTS; attempts++) {
      const answer = await attempt(url.query, body.text, ctx.signal);
      if ("why" in answer) why = answer.why ?? "";
      else if (answer.status >= 200 && answer.status < 300) {
        let json: unknown;
        try {
          json = JSON.parse(answer.text);
        } catch {
          return { ok: false, why: `the answer is not JSON: ${deps.redact(answer.text).slice(0, 120)}` };
        }
        return numberAt(json, check.value);
      } else {
        // Masked, then cut: cut first, the start of a secret the cut ends inside would survive.
        why = `HTTP ${answer.status}${answer.text ? ` (${deps.redact(answer.text).slice(0, 200).trim()})` : ""}`;
        // A client error will not change by asking again.
        if (answer.status < 500 && answer.status !== 429) break;
      }
      if (attempts < ATTEMPTS) await deps.clock.sleep(500 * attempts, ctx.signal);
    }
    return { ok: false, why };
  }

  async function evaluate(ctx: GateContext): Promise<GateResult> {
    const gate = check.name;
    const bounds = { min: check.min, max: check.max };
    const canary = await ask(ctx, "canary");
    if (!canary.ok) return inconclusive(gate, `canary: ${canary.why}`);
    if (!check.compare) return decideThreshold(gate, canary.value, bounds);
    const stableNow = await ask(ctx, "stable");
    // At a 100 % step stable serves nothing: its latest earlier value stands in, as for the metric gates.
    const stable = stableNow.ok ? stableNow.value : stableEarlier;
    if (stableNow.ok) stableEarlier = stableNow.value;
    if (stable === undefined) return inconclusive(gate, `stable: ${stableNow.ok ? "no value" : stableNow.why}`);
    // Twelve significant digits: 0.03 − 0.01 is 0.02, not 0.019999999999999997.
    const difference = Number((canary.value - stable).toPrecision(12));
    const earlier = stableNow.ok ? "" : " (earlier window)";
    const detail = `(canary ${canary.value} − stable ${stable}${earlier})`;
    const result = decideThreshold(gate, difference, bounds, detail);
    const values: GateValues = {
      canaryValue: canary.value,
      stableValue: stable,
      difference,
      min: check.min ?? null,
      max: check.max ?? null,
    };
    return { ...result, values };
  }

  const statistic = check.compare ? "canary − stable within min/max" : "value within min/max";
  return {
    name: check.name,
    evaluate: async (ctx) => {
      const result = await evaluate(ctx);
      const rendered = fillTemplate(check.url, webVariables(ctx, "canary", deps.intervalMs), encodeURIComponent);
      const source: GateSource = {
        kind: "web",
        query: deps.redact(`${check.method} ${rendered.ok ? rendered.query : check.url} → ${check.value}`),
        statistic,
      };
      const said = (text: string) => deps.redact(text);
      // The bounds go on the record even when no value came back.
      const values = { min: check.min ?? null, max: check.max ?? null, ...result.values };
      if (result.result === "passed") return { ...result, summary: said(result.summary), values, source };
      if (result.result === "failed") return { ...result, reason: said(result.reason), values, source };
      return { ...result, why: said(result.why), values, source };
    },
  };
}
