// The control plane's processes: one component per process, its output in a
// log file, stopped by its own PID (SIGTERM, then SIGKILL after a grace).
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";

export interface Component {
  name: string;
  pid: number;
  logFile: string;
  /** Rejects with the log's tail if the process exits before stop() is called. */
  exited: Promise<number>;
  stop(graceMs?: number): Promise<void>;
}

/** The last lines of a component's log, for error messages. */
export function logTail(logFile: string, lines = 15): string {
  try {
    return readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export function startComponent(binary: string, name: string, args: string[], logFile: string): Component {
  const fd = openSync(logFile, "a");
  const child: ChildProcess = spawn(binary, [name, ...args], { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${binary} ${name}`);
  let stopping = false;
  const exited = new Promise<number>((resolve, reject) => {
    child.once("error", (error) => reject(new Error(`${name}: ${error.message}`)));
    child.once("exit", (code, signal) => {
      if (stopping) resolve(code ?? 0);
      else reject(new Error(`${name} exited (${signal ?? `code ${code}`}); its log ends:\n${logTail(logFile)}`));
    });
  });
  // A crash is reported through `exited`; keep it from being an unhandled rejection meanwhile.
  exited.catch(() => {});
  return {
    name,
    pid: child.pid,
    logFile,
    exited,
    async stop(graceMs = 5000) {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited.catch(() => {});
      clearTimeout(timer);
    },
  };
}
