// The machine a run happened on, and the table the bench prints.
import { spawnSync } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";
import { KUBECTL } from "./cluster.ts";
import type { CaseResult, Side, Stats } from "./measure.ts";

export function machine() {
  const kubectl = spawnSync(KUBECTL, ["version", "--client"], { encoding: "utf8" }).stdout?.split("\n")[0] ?? "";
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kubectl: kubectl.replace(/^Client Version:\s*/, ""),
    platform: `${process.platform}/${process.arch}`,
    loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
  };
}

const ms = (s: Stats) => `${s.median.toFixed(0)} ms (${s.p25.toFixed(0)}–${s.p75.toFixed(0)})`;
const mb = (s?: Stats) => (s ? `${s.median.toFixed(0)} MB` : "");
const requests = (side?: Side) => (side?.requests === undefined ? "" : String(side.requests));

/** The sandbox's added latency, or "real cluster" (its own latency), or none (`empty`). */
const latency = (r: CaseResult, empty: string) =>
  r.latencyMs !== undefined ? `${r.latencyMs} ms` : r.target === "real cluster" ? "real cluster" : empty;

function subjectTime(result: CaseResult): string {
  const toWrite = result.subject.extra?.toRouterWriteMs;
  if (toWrite && typeof toWrite === "object") return `${ms(toWrite)} to write, ${ms(result.subject.ms)} all`;
  return ms(result.subject.ms);
}

export function printTable(results: CaseResult[], header: boolean): void {
  const rows = results.map((r) => [
    r.case,
    latency(r, ""),
    r.subject.label,
    subjectTime(r),
    mb(r.subject.rssMb),
    requests(r.subject),
    r.baseline?.label ?? "",
    r.baseline ? ms(r.baseline.ms) : "",
    mb(r.baseline?.rssMb),
    requests(r.baseline),
    r.ratio === undefined ? "" : `${r.ratio.toFixed(2)}×`,
  ]);
  const titles = ["case", "latency", "grayctl", "time", "RSS", "req", "baseline", "time", "RSS", "req", "ratio"];
  for (const row of header ? [titles, ...rows] : rows) console.log(row.join(" | "));
}

/** The README's Performance table: one row per case and latency, grayctl beside its baseline. */
export function markdownTable(results: CaseResult[]): string {
  const cell = (side: Side | undefined, result: CaseResult, isSubject: boolean) => {
    if (!side) return "";
    const toWrite = isSubject ? side.extra?.toRouterWriteMs : undefined;
    const time =
      toWrite && typeof toWrite === "object"
        ? `${toWrite.median.toFixed(0)} ms to the router write`
        : `${side.ms.median.toFixed(0)} ms${result.case === "scale" && isSubject ? " per gate" : ""}`;
    const parts = [time];
    if (side.rssMb) parts.push(`${side.rssMb.median.toFixed(0)} MB`);
    if (side.requests !== undefined) {
      const perStep = side.extra?.requestsPerStep;
      parts.push(typeof perStep === "number" ? `${perStep.toFixed(1)} req/step` : `${side.requests} req`);
    }
    return `${side.label}: ${parts.join(", ")}`;
  };
  const rows = results.map(
    (r) =>
      `| ${r.case} | ${latency(r, "–")} | ${cell(r.subject, r, true)} | ${cell(r.baseline, r, false)} | ${r.ratio === undefined ? "" : `${r.ratio.toFixed(2)}×`} |`,
  );
  return ["| case | API latency | grayctl | baseline | ratio |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}
