// Runs the built grayctl as a user would, for the demo: its progress goes
// straight to the terminal (or, with --output json, its events line by line to
// the demo's), and every run has an end.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/grayctl.js", import.meta.url));
/** After the limit or a Ctrl-C grayctl gets SIGINT (it rolls back); this long after that, SIGKILL. */
const KILL_AFTER_MS = 15_000;
/** A terminal's Ctrl-C reaches grayctl itself; this long later the demo sends its own (a test's SIGTERM). */
const FORWARD_AFTER_MS = 3_000;

export interface RunOptions {
  cwd: string;
  json: boolean;
  limitMs: number;
  signal: AbortSignal;
  onLine: (line: string) => void;
}

/** Resolves with grayctl's exit code (null when it had to be killed). */
export function runGrayctl(args: string[], options: RunOptions): Promise<number | null> {
  const child = spawn(process.execPath, [BIN, ...args, ...(options.json ? ["--output", "json"] : [])], {
    cwd: options.cwd,
    env: { ...process.env, GRAYCTL_ACTOR: "demo" },
    stdio: ["ignore", options.json ? "pipe" : "inherit", "inherit"],
  });
  if (child.stdout) createInterface({ input: child.stdout }).on("line", options.onLine);
  const timers: NodeJS.Timeout[] = [];
  const interrupt = (delayMs: number) =>
    timers.push(
      setTimeout(() => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGINT"); // our own child, by PID
        timers.push(setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS));
      }, delayMs),
    );
  interrupt(options.limitMs);
  const onAbort = () => interrupt(FORWARD_AFTER_MS);
  options.signal.addEventListener("abort", onAbort, { once: true });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      for (const timer of timers) clearTimeout(timer);
      options.signal.removeEventListener("abort", onAbort);
      resolve(code);
    });
  });
}
