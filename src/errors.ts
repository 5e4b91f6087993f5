// Exit codes and the error types that carry them. Only bin/grayctl.js turns an
// exit code into a process exit; everything else throws or returns.

export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  rolledBack: 3,
  paused: 4,
  locked: 5,
  timeout: 6,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** What each code means, one line each: `--help` of every command prints this list. */
export const EXIT_CODE_MEANINGS: Record<ExitCodeValue, string> = {
  0: "done (rollback and abort included), or nothing to do",
  1: "internal error: a bug in grayctl (rerun with --verbose and report it)",
  2: "usage: a bad flag or configuration, or a command that does not fit the state",
  3: "a rollout rolled back (or superseded by another process)",
  4: "paused at a manual step, or a rollout interrupted with onInterrupt: leave",
  5: "locked: another live process holds the rollout (--force for a dead or hung one)",
  6: "timeout: a wait ran past its deadline, or the cluster or registry did not answer",
};

/** An error the user can act on: printed as its message (and hint), never as a stack trace. */
export class GrayctlError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly hint?: string;
  constructor(message: string, options: { exitCode?: ExitCodeValue; hint?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "GrayctlError";
    this.exitCode = options.exitCode ?? ExitCode.internal;
    this.hint = options.hint;
  }
}

/** Bad flags, bad configuration, or a command that cannot run as asked. Exit 2. */
export class UsageError extends GrayctlError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.usage, hint });
    this.name = "UsageError";
  }
}

export interface ConfigIssue {
  /** e.g. "rollout.steps[2]" */
  path: string;
  message: string;
  /** "grayctl.yaml:7:10" or "--set rollout.steps" */
  location?: string;
}

export class ConfigError extends GrayctlError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join("\n"), {
      exitCode: ExitCode.usage,
      hint: "Check the file with `grayctl validate`.",
    });
    this.name = "ConfigError";
    this.issues = issues;
  }
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.location ? `${issue.location} ` : "";
  const path = issue.path ? `${issue.path}: ` : "";
  return `${where}${path}${issue.message}`;
}

export function isGrayctlError(error: unknown): error is GrayctlError {
  return error instanceof GrayctlError;
}
