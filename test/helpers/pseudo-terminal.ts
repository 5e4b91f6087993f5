// Runs grayctl on a pseudo-terminal, as a person at a terminal runs it: util-linux's
// `script` gives the process a real TTY (isTTY, columns, escape sequences all real).
import { spawn } from "node:child_process";
import { BIN, type CliResult, UNBUNDLED } from "./cli.ts";

// `script -c` takes one shell command line; these tests build it from their own
// fixed arguments only, each single-quoted.
const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

/**
 * `stdout` is what the terminal showed (grayctl's stdout and stderr, as the user sees them),
 * unless `stdoutTo` names a file: then grayctl's stdout goes there, as in `X=$(grayctl …)`.
 */
export function runOnTerminal(
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number; stdoutTo?: string } = {},
): Promise<CliResult> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: undefined,
    FORCE_COLOR: undefined,
    CI: undefined,
    GITHUB_ACTIONS: undefined,
    GITLAB_CI: undefined,
    TERM: "xterm-256color",
    ...UNBUNDLED,
    ...options.env,
  };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  // A terminal of 0 columns gets plain lines (src/output/index.ts): give it a real size.
  const redirect = options.stdoutTo ? ` > ${quote(options.stdoutTo)}` : "";
  const line = `stty cols 120 rows 40; exec ${[process.execPath, BIN, ...args].map(quote).join(" ")}${redirect}`;
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", line, "/dev/null"], {
      cwd: options.cwd,
      env: env as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`grayctl ${args.join(" ")} (on a terminal) did not finish in time\n${stdout}`));
    }, options.timeoutMs ?? 30000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Whether a capture holds any ANSI escape sequence (colour, cursor moves, line clears). */
export const hasEscape = (text: string) => text.includes("\u001b");
