// Runs the host's networking commands (iproute2's `ip`) with a deadline, and
// turns a failure into one line naming the command and what it said.
import { execFile } from "node:child_process";

export class HostCommandError extends Error {
  readonly stderr: string;
  constructor(command: string[], stderr: string) {
    super(`${command.join(" ")}: ${stderr.trim() || "failed"}`);
    this.stderr = stderr;
  }
}

export function run(command: string[], timeoutMs = 10_000): Promise<string> {
  const [file, ...args] = command;
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, killSignal: "SIGKILL" }, (error, stdout, stderr) => {
      if (error) reject(new HostCommandError(command, stderr || error.message));
      else resolve(stdout);
    });
  });
}

/** The same, for commands whose failure only means "already gone" (deleting what may not exist). */
export async function runQuietly(command: string[], timeoutMs = 10_000): Promise<void> {
  await run(command, timeoutMs).catch(() => {});
}
