// Interactive terminals: ora spinners and colour on stderr, the result on stdout.
import type { ChalkInstance } from "chalk";
import type { Ora } from "ora";
import { formatFields } from "./format.ts";
import { BaseReporter, isFailure, type ReporterOptions } from "./reporter.ts";
import type { EventLevel, Fields, Progress } from "./types.ts";

// ora is loaded at the first spinner, not with the reporter: on import it builds
// string-width's Unicode regular expressions and an Intl.Segmenter (~15 ms), which
// status, history and rollback, showing no spinner, should not wait for.
let loadOra: Promise<typeof import("ora").default> | undefined;

export class TtyReporter extends BaseReporter {
  private readonly chalk: ChalkInstance;
  /** The spinner on screen (undefined while ora loads). */
  private spinner: Ora | undefined;
  /** Ends the current spinner, whether ora has loaded yet or not. */
  private stopSpinner = () => {};

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

  protected startProgress(_kind: string, text: string): Progress {
    if (this.quiet) return { update() {}, succeed() {}, fail: (next) => this.print(this.chalk.red(`✖ ${next}`)) };
    this.stopSpinner();
    // ora writes to the terminal itself (cursor moves, clears), so every text
    // handed to it is redacted first instead of filtering its byte stream.
    const clean = (value: string) => this.redactor.text(value);
    const stream = this.err as unknown as NodeJS.WritableStream;
    let current = clean(text);
    let spinner: Ora | undefined;
    let ended = false;
    const end = () => {
      ended = true;
      if (this.spinner === spinner) this.spinner = undefined;
    };
    this.stopSpinner = () => {
      spinner?.stop();
      end();
    };
    loadOra ??= import("ora").then((module) => module.default);
    loadOra.then(
      (ora) => {
        if (ended) return;
        spinner = ora({ text: current, stream, isEnabled: true, discardStdin: false }).start();
        this.spinner = spinner;
      },
      () => {}, // no spinner then; the outcome line is printed all the same
    );
    return {
      update: (next) => {
        current = clean(next);
        if (spinner) spinner.text = current;
      },
      succeed: (next) => {
        const line = this.chalk.green(clean(next));
        // Ended before ora loaded: the line ora would have left, without the animation.
        if (spinner) spinner.succeed(line);
        else this.print(`${this.chalk.green("✔")} ${line}`);
        end();
      },
      fail: (next) => {
        const line = this.chalk.red(clean(next));
        if (spinner) spinner.fail(line);
        else this.print(`${this.chalk.red("✖")} ${line}`);
        end();
      },
    };
  }

  protected writeEvent(_type: string, _fields: Fields, text?: string, level?: EventLevel): void {
    if (text && level === "warn") this.writeWarning(text.trim());
    else if (text && !this.quiet) this.print(text);
  }

  protected writeResult(outcome: string, fields: Fields, text: string): void {
    this.stopSpinner();
    if (outcome === "error") this.writeErr(`${this.chalk.red("✖")} ${text}\n`);
    // stdout captured (`IMAGE=$(grayctl build -q)`) while stderr is the terminal: a script reads the
    // result, so it gets the text alone, without the mark meant for eyes.
    else if (!this.out.isTTY) this.writeOut(`${text}\n`);
    else if (isFailure(outcome, fields)) this.writeOut(`${this.chalk.red("✖")} ${text}\n`);
    // Cut short by a signal: not a success, whatever it left behind.
    else if (outcome === "interrupted") this.writeOut(`${this.chalk.yellow("⚠")} ${text}\n`);
    else this.writeOut(`${this.chalk.green("✔")} ${text}\n`);
  }
}
