// Errors of `grayctl build`. All extend the project's GrayctlError so the
// launcher prints the message and hint (never a stack) and exits with the code.
import { ExitCode, GrayctlError } from "../errors.ts";

/** Something the user can fix: dirty tree, not a git repo, bad settings. Exit 2. */
export class BuildUserError extends GrayctlError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.usage, hint });
    this.name = "BuildUserError";
  }
}

/** The Docker Engine cannot be reached or answered with an error outside a build. */
export class DockerEngineError extends GrayctlError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super(message, { exitCode: ExitCode.internal, hint, cause });
    this.name = "DockerEngineError";
  }
}

/** A Dockerfile step failed; carries the step and the last lines of its output. */
export class BuildFailedError extends GrayctlError {
  readonly step?: string;
  readonly output: string[];
  constructor(reason: string, step: string | undefined, output: string[]) {
    const where = step ? ` at ${step}` : "";
    const tail = output.length > 0 ? `\n--- last output ---\n${output.join("\n")}` : "";
    super(`image build failed${where}: ${reason}${tail}`, { exitCode: ExitCode.internal });
    this.name = "BuildFailedError";
    this.step = step;
    this.output = output;
  }
}

/**
 * The registry refused or failed a request (check, push). One that cannot be reached at all
 * (`unreachable`: refused, reset, no such host) exits 6, as an API that does not answer does (003).
 */
export class RegistryError extends GrayctlError {
  readonly status?: number;
  constructor(
    message: string,
    options: { status?: number; hint?: string; user?: boolean; unreachable?: boolean; cause?: unknown } = {},
  ) {
    super(message, {
      exitCode: options.user ? ExitCode.usage : options.unreachable ? ExitCode.timeout : ExitCode.internal,
      hint: options.hint,
      cause: options.cause,
    });
    this.name = "RegistryError";
    this.status = options.status;
  }
}

/** A wait hit its deadline; says what it was waiting for. */
export class BuildTimeoutError extends GrayctlError {
  constructor(what: string, ms: number) {
    super(`${what} did not finish within ${Math.round(ms / 1000)} s`, { exitCode: ExitCode.timeout });
    this.name = "BuildTimeoutError";
  }
}
