// Interactive terminals: ora spinners and colour on stderr, the result on stdout.
import type { ChalkInstance } from "chalk";
import ora, { type Ora } from "ora";
import { formatFields } from "./format.ts";
import { BaseReporter, FAILED_OUTCOMES, type ReporterOptions } from "./reporter.ts";
import type { Fields, Progress } from "./types.ts";

export class TtyReporter extends BaseReporter {
  private readonly chalk: ChalkInstance;
  private spinner: Ora | undefined;

  constructor(options: ReporterOptions & { chalk: ChalkInstance }) {
    super(options);
    this.chalk = options.chalk;
  }

  /** Prints a line without tearing an active spinner. */
  private print(text: string): void {
    const spinner = this.spinner;
    if (spinner?.isSpinning) spinner.clear();
    this.writeErr(`${text}\n`);
    if (spinner?.isSpinning) spinner.render();
  }

  info(message: string, fields?: Fields): void {
    if (!this.quiet) this.print(`${message}${this.verbose ? this.chalk.dim(formatFields(fields)) : ""}`);
  }

  debug(message: string, fields?: Fields): void {
    if (this.verbose) this.print(this.chalk.dim(`${message}${formatFields(fields)}`));
  }

  protected writeWarning(message: string): void {
    this.print(this.chalk.yellow(`⚠ ${message}`));
  }

  start(_kind: string, text: string): Progress {
    if (this.quiet) return { update() {}, succeed() {}, fail: (next) => this.print(this.chalk.red(`✖ ${next}`)) };
    this.spinner?.stop();
    // ora writes to the terminal itself (cursor moves, clears), so every text
    // handed to it is redacted first instead of filtering its byte stream.
    const clean = (value: string) => this.redactor.text(value);
    const stream = this.err as unknown as NodeJS.WritableStream;
    const spinner = ora({ text: clean(text), stream, isEnabled: true, discardStdin: false }).start();
    this.spinner = spinner;
    return {
      update: (next) => {
        spinner.text = clean(next);
      },
      succeed: (next) => {
        spinner.succeed(this.chalk.green(clean(next)));
        if (this.spinner === spinner) this.spinner = undefined;
      },
      fail: (next) => {
        spinner.fail(this.chalk.red(clean(next)));
        if (this.spinner === spinner) this.spinner = undefined;
      },
    };
  }

  event(_type: string, _fields: Fields, text?: string): void {
    if (text && !this.quiet) this.print(text);
  }

  protected writeResult(outcome: string, _fields: Fields, text: string): void {
    this.spinner?.stop();
    if (outcome === "error") this.writeErr(`${this.chalk.red("✖")} ${text}\n`);
    else if (FAILED_OUTCOMES.has(outcome)) this.writeOut(`${this.chalk.red("✖")} ${text}\n`);
    else this.writeOut(`${this.chalk.green("✔")} ${text}\n`);
  }
}
