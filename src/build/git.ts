// A thin git runner: argument arrays only (never shell strings), the caller's
// environment only, and a deadline on every call.
import { execa } from "execa";
import { BuildTimeoutError } from "./errors.ts";

export interface GitRunner {
  /** Runs git; resolves with the result whether or not git exited 0. */
  run(args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }>;
}

export function createGit(options: {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal?: AbortSignal;
}): GitRunner {
  return {
    async run(args) {
      const result = await execa("git", args, {
        cwd: options.cwd,
        // LC_ALL=C keeps git's messages in English so the few we inspect stay stable.
        env: { ...options.env, LC_ALL: "C", GIT_TERMINAL_PROMPT: "0" },
        extendEnv: false,
        reject: false,
        stripFinalNewline: true,
        timeout: options.timeoutMs,
        cancelSignal: options.signal,
      });
      if (result.timedOut) throw new BuildTimeoutError(`git ${args.join(" ")}`, options.timeoutMs);
      if (result.isCanceled) throw options.signal?.reason ?? new Error("cancelled");
      if (result.failed && result.exitCode === undefined) {
        // git itself could not be started (not installed, cwd missing).
        throw new Error(`could not run git ${args[0]}: ${result.shortMessage}`);
      }
      return { ok: result.exitCode === 0, stdout: String(result.stdout), stderr: String(result.stderr) };
    },
  };
}
