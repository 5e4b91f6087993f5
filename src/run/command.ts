// Runs a user's command — a hook, or a command gate (analysis/command-gate.ts):
// argv straight to the program, never through a shell unless the user writes
// one, with a deadline that holds even when the program ignores SIGTERM or a
// child of it keeps the pipes open, and only the output's tail kept, however
// much the program prints.
import { execa } from "execa";

export interface CommandRequest {
  argv: readonly string[];
  cwd: string;
  /** The whole environment the command sees (the caller merges process env and its variables). */
  env: Record<string, string | undefined>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** After SIGTERM at the deadline, how long the program gets before SIGKILL (default 2 s). */
  killGraceMs?: number;
  /** Milliseconds on a monotonic clock, to time the command (default performance.now). */
  monotonic?: () => number;
  /**
   * Masks secrets in what the command printed, before the output is cut to its tail: cut
   * first, the end of a secret the cut begins inside would survive the masking.
   */
  redact?: (text: string) => string;
}

interface Ran {
  /** The end of stdout and stderr together, masked by `redact` before it was cut. */
  tail: string;
  seconds: number;
}

export type CommandResult = Ran &
  (
    | { result: "passed"; exitCode: 0 }
    /** A non-zero exit (exitCode), a signal (signal), or a program that could not start (startError). */
    | { result: "failed"; exitCode?: number; signal?: string; startError?: string; why: string }
    | { result: "timeout"; why: string }
    /** The caller's signal aborted it (Ctrl-C, a lost Lease). */
    | { result: "cancelled"; why: string }
  );

/** The output kept while the command runs: its end is where programs say what went wrong. */
const KEEP_BYTES = 16_384;
const TAIL_LINES = 20;
const TAIL_CHARS = 2_000;
const KILL_GRACE_MS = 2_000;

export function tailOf(output: string): string {
  const lines = output.replace(/\r/g, "").trimEnd().split("\n").slice(-TAIL_LINES).join("\n");
  return lines.length > TAIL_CHARS ? `…${lines.slice(-TAIL_CHARS)}` : lines;
}

export async function runCommand(request: CommandRequest): Promise<CommandResult> {
  const [file, ...args] = request.argv;
  const monotonic = request.monotonic ?? (() => performance.now());
  const grace = request.killGraceMs ?? KILL_GRACE_MS;
  const started = monotonic();
  const child = execa(file, args, {
    cwd: request.cwd,
    env: request.env,
    extendEnv: false,
    stdin: "ignore",
    all: true,
    buffer: false,
    reject: false,
    timeout: request.timeoutMs,
    forceKillAfterDelay: grace,
    cancelSignal: request.signal,
    // Its own process group, so that what it started (a shell's children) is stopped with it:
    // otherwise a child holding the output pipe keeps the wait going past the deadline.
    detached: true,
  });
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const stopGroup = () => {
    killGroup("SIGTERM");
    setTimeout(() => killGroup("SIGKILL"), grace).unref();
  };
  const timer = setTimeout(stopGroup, request.timeoutMs);
  request.signal?.addEventListener("abort", stopGroup, { once: true });
  let kept = "";
  child.all?.on("data", (chunk: Buffer) => {
    kept = (kept + chunk.toString("utf8")).slice(-KEEP_BYTES);
  });
  const done = await child;
  clearTimeout(timer);
  request.signal?.removeEventListener("abort", stopGroup);
  // What the command left running in its group goes with it.
  killGroup("SIGKILL");
  // KEEP_BYTES is far longer than TAIL_CHARS: a secret cut at the start of `kept` is dropped by tailOf.
  const ran: Ran = {
    tail: tailOf(request.redact ? request.redact(kept) : kept),
    seconds: Number(((monotonic() - started) / 1000).toFixed(3)),
  };
  if (request.signal?.aborted) return { ...ran, result: "cancelled", why: `${file} was cancelled` };
  if (done.timedOut) {
    const within = `${Math.round(request.timeoutMs / 100) / 10}s`;
    return { ...ran, result: "timeout", why: `${file} did not finish within ${within}` };
  }
  if (done.exitCode === 0) return { ...ran, result: "passed", exitCode: 0 };
  if (done.exitCode !== undefined) {
    return { ...ran, result: "failed", exitCode: done.exitCode, why: `${file} exited ${done.exitCode}` };
  }
  if (done.signal) return { ...ran, result: "failed", signal: done.signal, why: `${file}: killed by ${done.signal}` };
  const startError =
    (done.cause as NodeJS.ErrnoException | undefined)?.code === "ENOENT"
      ? "command not found"
      : (done.shortMessage ?? done.message ?? "").split("\n")[0];
  return { ...ran, result: "failed", startError, why: `${file}: ${startError}` };
}
