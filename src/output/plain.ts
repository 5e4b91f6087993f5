// CI and other non-TTY output: timestamped lines on stderr, no spinners, no
// ANSI unless FORCE_COLOR asks for it; the result on stdout.
import type { ChalkInstance } from "chalk";
import { formatFields } from "./format.ts";
import { BaseReporter, isFailure, type ReporterOptions } from "./reporter.ts";
import { throttledUpdates } from "./throttle.ts";
import type { EventLevel, Fields, Progress } from "./types.ts";

export class PlainReporter extends BaseReporter {
  private readonly chalk: ChalkInstance;

  constructor(options: ReporterOptions & { chalk: ChalkInstance }) {
    super(options);
    this.chalk = options.chalk;
  }

  private line(level: string, message: string, fields?: Fields): void {
    const fieldText = this.verbose ? formatFields(fields) : "";
    this.writeErr(`${this.now().toISOString()} ${level} ${message}${fieldText}\n`);
  }

  info(message: string, fields?: Fields): void {
    if (!this.quiet) this.line("info ", message, fields);
  }

  debug(message: string, fields?: Fields): void {
    if (this.verbose) this.line(this.chalk.dim("debug"), this.chalk.dim(message), fields);
  }

  protected writeWarning(message: string, fields?: Fields): void {
    this.line(this.chalk.yellow("warn "), message, fields);
  }

  protected startProgress(_kind: string, text: string): Progress {
    if (!this.quiet) this.line("info ", text);
    const update = throttledUpdates(this.now, text, (next) => !this.quiet && this.line("info ", next));
    return {
      update,
      succeed: (next, fields) => !this.quiet && this.line(this.chalk.green("ok   "), next, fields),
      fail: (next, fields) => this.line(this.chalk.red("fail "), next, fields),
    };
  }

  protected writeEvent(_type: string, fields: Fields, text?: string, level?: EventLevel): void {
    if (text && level === "warn") this.writeWarning(text.trim(), fields);
    else if (text && !this.quiet) this.line("info ", text, fields);
  }

  protected writeResult(outcome: string, fields: Fields, text: string): void {
    if (outcome === "error") this.line(this.chalk.red("error"), text);
    else if (isFailure(outcome, fields)) this.writeOut(`${this.chalk.red(text)}\n`);
    else this.writeOut(`${text}\n`);
  }
}
