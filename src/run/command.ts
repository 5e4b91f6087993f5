// Runs a user's command (a hook): argv straight to the program, never through a
// shell unless the user writes one, with a deadline that holds even when the
// program ignores SIGTERM or a child of it keeps the pipes open. (The command
// gate, analysis/command-gate.ts, runs its commands the same way.)
import { execa } from "execa";

export interface CommandRequest {
  argv: readonly string[];
  cwd: string;
  /** The whole environment the command sees (the caller merges process env and its variables). */
  env: Record<string, string | undefined>;
  timeoutMs: number;
  signal?: AbortSignal;
}

export type CommandResult =
  | { result: "passed"; exitCode: 0; tail: string }
  | { result: "failed"; exitCode?: number; tail: string; why: string }
  | { result: "timeout"; tail: string; why: string };

/** How much of the output is kept for the reason and the log: the end is where programs say what went wrong. */
const TAIL_LINES = 20;
const TAIL_CHARS = 2_000;
/** After SIGTERM at the deadline, how long a program gets before SIGKILL. */
const KILL_GRACE_MS = 2_000;

export function tailOf(output: string): string {
  const lines = output.replace(/\s+$/, "").split("\n").slice(-TAIL_LINES).join("\n");
  return lines.length > TAIL_CHARS ? `…${lines.slice(-TAIL_CHARS)}` : lines;
}

export async function runCommand(request: CommandRequest): Promise<CommandResult> {
  const [file, ...args] = request.argv;
  const child = execa(file, args, {
    cwd: request.cwd,
    env: request.env,
    extendEnv: false,
    stdin: "ignore",
    all: true,
    reject: false,
    timeout: request.timeoutMs,
    forceKillAfterDelay: KILL_GRACE_MS,
    cancelSignal: request.signal,
    maxBuffer: 1_000_000,
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
  const timer = setTimeout(() => {
    killGroup("SIGTERM");
    setTimeout(() => killGroup("SIGKILL"), KILL_GRACE_MS).unref();
  }, request.timeoutMs);
  const done = await child;
  clearTimeout(timer);
  // What the command left running in its group goes with it.
  killGroup("SIGKILL");
  const seconds = `${Math.round(request.timeoutMs / 100) / 10}s`;
  const tail = tailOf(String(done.all ?? ""));
  if (done.timedOut) return { result: "timeout", tail, why: `${file} did not finish within ${seconds}` };
  if (done.exitCode === 0) return { result: "passed", exitCode: 0, tail };
  if (done.failed && done.exitCode === undefined) {
    const why = done.isCanceled
      ? `${file} was cancelled`
      : (done.cause as NodeJS.ErrnoException | undefined)?.code === "ENOENT"
        ? `${file}: command not found`
        : `${file}: ${done.signal ? `killed by ${done.signal}` : done.shortMessage}`;
    return { result: "failed", tail, why };
  }
  return { result: "failed", exitCode: done.exitCode, tail, why: `${file} exited ${done.exitCode}` };
}
