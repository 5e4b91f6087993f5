// A parser for the Prometheus text exposition format (version 0.0.4), enough
// for counters and classic histograms: HELP/TYPE lines, other comments, label
// values with \\, \" and \n escapes, NaN/±Inf values and optional timestamps.
// Like Prometheus itself, a malformed line rejects the whole scrape: a gate
// must not judge half a page.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export type ParsedMetrics =
  | { ok: true; samples: Sample[]; types: Map<string, string> }
  | { ok: false; line: number; why: string };

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*/;

export function parseNumber(text: string): number {
  if (text === "+Inf" || text === "Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  // Number("") is 0 and Number("0x10") is 16: neither is a valid sample value.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number.NaN;
  return Number(text);
}

type Step<T> = { ok: true; value: T; rest: string } | { ok: false; why: string };

function parseLabels(text: string): Step<Record<string, string>> {
  const labels: Record<string, string> = {};
  let rest = text.slice(1); // past "{"
  for (;;) {
    rest = rest.trimStart();
    if (rest.startsWith("}")) return { ok: true, value: labels, rest: rest.slice(1) };
    const name = labelName.exec(rest)?.[0];
    if (!name) return { ok: false, why: "expected a label name" };
    rest = rest.slice(name.length).trimStart();
    if (!rest.startsWith("=")) return { ok: false, why: `expected = after label ${name}` };
    rest = rest.slice(1).trimStart();
    if (!rest.startsWith('"')) return { ok: false, why: `expected a quoted value for label ${name}` };
    rest = rest.slice(1);
    let value = "";
    let closed = false;
    for (let i = 0; i < rest.length; i++) {
      const ch = rest[i];
      if (ch === "\\") {
        const next = rest[++i];
        value += next === "n" ? "\n" : next === "\\" ? "\\" : next === '"' ? '"' : `\\${next ?? ""}`;
      } else if (ch === '"') {
        rest = rest.slice(i + 1);
        closed = true;
        break;
      } else value += ch;
    }
    if (!closed) return { ok: false, why: `unterminated value of label ${name}` };
    if (Object.hasOwn(labels, name)) return { ok: false, why: `label ${name} appears twice` };
    labels[name] = value;
    rest = rest.trimStart();
    if (rest.startsWith(",")) rest = rest.slice(1);
    else if (!rest.startsWith("}")) return { ok: false, why: "expected , or } after a label" };
  }
}

function parseSample(line: string): Step<Sample> {
  const name = metricName.exec(line)?.[0];
  if (!name) return { ok: false, why: "expected a metric name" };
  let rest = line.slice(name.length);
  let labels: Record<string, string> = {};
  if (rest.trimStart().startsWith("{")) {
    const parsed = parseLabels(rest.trimStart());
    if (!parsed.ok) return parsed;
    labels = parsed.value;
    rest = parsed.rest;
  }
  const fields = rest.trim().split(/[ \t]+/);
  if (fields.length < 1 || fields.length > 2 || fields[0] === "") return { ok: false, why: "expected a value" };
  const value = parseNumber(fields[0]);
  if (Number.isNaN(value) && fields[0] !== "NaN") return { ok: false, why: `bad value ${JSON.stringify(fields[0])}` };
  if (fields[1] !== undefined && !/^-?\d+$/.test(fields[1])) return { ok: false, why: "bad timestamp" };
  return { ok: true, value: { name, labels, value }, rest: "" };
}

export function parseMetricsText(text: string): ParsedMetrics {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index].replace(/\r$/, "").trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      const match = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (match) types.set(match[1], match[2]);
      continue; // HELP and free comments carry nothing a gate reads
    }
    const parsed = parseSample(line);
    if (!parsed.ok) return { ok: false, line: index + 1, why: parsed.why };
    samples.push(parsed.value);
  }
  return { ok: true, samples, types };
}

/** A stable identity for a series: name plus labels sorted by name. */
export function seriesKey(name: string, labels: Record<string, string>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((key) => `${key}=${JSON.stringify(labels[key])}`);
  return `${name}{${parts.join(",")}}`;
}
