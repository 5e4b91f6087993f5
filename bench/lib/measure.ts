// Timing and memory of child processes, and the statistics the benchmarks print.
// Children are spawned asynchronously: the sandbox answers them from this
// process's event loop.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** GNU time reports a child's peak RSS (%M, KiB); without it RSS is not measured. */
const GNU_TIME = "/usr/bin/time";
export const canMeasureRss = existsSync(GNU_TIME);

export interface Run {
  ms: number;
  /** Peak resident set size, MiB. */
  rssMb?: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function timed(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<Run> {
  const dir = canMeasureRss ? await mkdtemp(join(tmpdir(), "grayctl-bench-")) : undefined;
  const rssFile = dir && join(dir, "rss");
  const [file, argv] = rssFile ? [GNU_TIME, ["-f", "%M", "-o", rssFile, command, ...args]] : [command, args];
  const started = performance.now();
  const child = spawn(file, argv, { env: options.env ?? process.env, cwd: options.cwd });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  const ms = performance.now() - started;
  let rssMb: number | undefined;
  if (rssFile && dir) {
    const kib = Number((await readFile(rssFile, "utf8").catch(() => "")).trim().split("\n").at(-1));
    if (Number.isFinite(kib) && kib > 0) rssMb = kib / 1024;
    await rm(dir, { recursive: true, force: true });
  }
  return { ms, rssMb, code, stdout, stderr };
}

export interface Stats {
  median: number;
  p25: number;
  p75: number;
  min: number;
  max: number;
  n: number;
}

export function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => {
    const position = (sorted.length - 1) * q;
    const low = Math.floor(position);
    const high = Math.ceil(position);
    return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
  };
  return { median: at(0.5), p25: at(0.25), p75: at(0.75), min: sorted[0], max: sorted.at(-1) ?? 0, n: sorted.length };
}

/** One side of a comparison: what ran, and its figures over the measured runs. */
export interface Side {
  label: string;
  ms: Stats;
  rssMb?: Stats;
  /** API requests per run (median). */
  requests?: number;
  /** Further figures of the case, e.g. time to the router write. */
  extra?: Record<string, Stats | number>;
}

export interface CaseResult {
  case: string;
  /** What the case ran against, for status and rollback-inflight (the others: the sandbox). */
  target?: "sandbox" | "real cluster";
  /** The sandbox's added per-request API latency; absent on the real cluster, whose own latency is what it is. */
  latencyMs?: number;
  subject: Side;
  baseline?: Side;
  /** subject median / baseline median (of the figure named in `ratioOf`). */
  ratio?: number;
  ratioOf?: string;
  note?: string;
}

/**
 * Runs each of `sides` once for warm-up (compile cache, kubectl's discovery
 * cache, connections), then `runs` times interleaved, so that a busy moment of
 * a shared machine hits every side alike.
 */
export async function interleaved<T>(runs: number, sides: (() => Promise<T>)[]): Promise<T[][]> {
  for (const side of sides) await side();
  const results: T[][] = sides.map(() => []);
  for (let run = 0; run < runs; run++) for (const [index, side] of sides.entries()) results[index].push(await side());
  return results;
}

export function side(label: string, runs: Run[], requests?: number[]): Side {
  for (const run of runs)
    if (run.code !== 0 && run.code !== 3) throw new Error(`${label} exited ${run.code}: ${run.stderr.slice(0, 2000)}`);
  const rss = runs.map((r) => r.rssMb).filter((x): x is number => x !== undefined);
  return {
    label,
    ms: stats(runs.map((r) => r.ms)),
    rssMb: rss.length ? stats(rss) : undefined,
    requests: requests && stats(requests).median,
  };
}

export const ratio = (subject: Side, baseline: Side) => subject.ms.median / baseline.ms.median;

/** A run and the API requests made while it ran (undefined where they were not counted). */
export interface Counted {
  run: Run;
  requests?: number;
}

/** Requests per run, or undefined if some run was not counted; a failed run fails the side, as in side(). */
export function requestsOf(label: string, counted: { run: Run; requests?: number }[]): number[] | undefined {
  for (const { run } of counted)
    if (run.code !== 0 && run.code !== 3)
      throw new Error(`${label} exited ${run.code} in a counting run: ${run.stderr.slice(0, 2000)}`);
  return counted.every((c) => c.requests !== undefined) ? counted.map((c) => c.requests as number) : undefined;
}

/** The timed runs' figures; the request count from `counts` (separate counting runs) when given. */
export const countedSide = (label: string, counted: Counted[], counts: Counted[] = counted) =>
  side(
    label,
    counted.map((c) => c.run),
    requestsOf(label, counts),
  );
