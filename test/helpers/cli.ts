// Runs the built grayctl binary as a user would, with the Node that runs the tests.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../bin/grayctl.js", import.meta.url));
/** The launcher runs tsc's build of the sources (dist/cli), not the bundle; only cli-bundle.test.ts runs the bundle. */
export const UNBUNDLED = { GRAYCTL_UNBUNDLED: "1" };

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  options: {
    cwd?: string;
    env?: Record<string, string | undefined>;
    timeoutMs?: number;
    input?: string;
    /** A command that runs grayctl, e.g. ["unshare", "--pid", "--fork"] for another PID namespace. */
    wrapper?: string[];
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      NO_COLOR: undefined,
      FORCE_COLOR: undefined,
      CI: undefined,
      GITHUB_ACTIONS: undefined,
      // The suites may run in a GitLab job: grayctl's GitLab reports only where a test asks for them.
      GITLAB_CI: undefined,
      ...UNBUNDLED,
      ...options.env,
    };
    for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
    const [command, ...rest] = [...(options.wrapper ?? []), process.execPath, BIN, ...args];
    const child = spawn(command, rest, { cwd: options.cwd, env: env as NodeJS.ProcessEnv });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`grayctl ${args.join(" ")} did not finish within ${options.timeoutMs ?? 30000} ms\n${stderr}`));
    }, options.timeoutMs ?? 30000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

export interface RunningCli {
  pid: number;
  kill(signal: NodeJS.Signals): void;
  done: Promise<CliResult>;
  output(): { stdout: string; stderr: string };
}

/** Starts grayctl in the background, for tests that signal or race it. */
export function spawnCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): RunningCli {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: undefined,
    FORCE_COLOR: undefined,
    CI: undefined,
    GITHUB_ACTIONS: undefined,
    // The suites may run in a GitLab job: grayctl's GitLab reports only where a test asks for them.
    GITLAB_CI: undefined,
    ...UNBUNDLED,
    ...options.env,
  };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  return { pid: child.pid ?? -1, kill: (signal) => child.kill(signal), done, output: () => ({ stdout, stderr }) };
}

/** The JSON events of a `-o json` run's stdout, one per line. */
// biome-ignore lint/suspicious/noExplicitAny: events are free-form JSON that tests read field by field
export function jsonEvents(stdout: string): any[] {
  return stdout
    .trim()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));
}
