// The shared part of every reporter: redaction, verbosity, GitHub Actions
// annotations and the step summary. Subclasses decide how things look.
import { appendFileSync } from "node:fs";
import { Redactor } from "./redact.ts";
import type { Fields, Progress, Reporter } from "./types.ts";

export interface Sink {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ReporterOptions {
  stdout: Sink;
  stderr: Sink;
  env: Record<string, string | undefined>;
  verbose?: boolean;
  quiet?: boolean;
  now?: () => Date;
  redactor?: Redactor;
}

/** Outcomes that mean "it did not go as asked"; shown as errors. */
export const FAILED_OUTCOMES = new Set([
  "error",
  "rolled-back",
  "timeout",
  "locked",
  "failed",
  "lease-lost",
  "unreachable",
]);

export abstract class BaseReporter implements Reporter {
  protected readonly out: Sink;
  protected readonly err: Sink;
  protected readonly verbose: boolean;
  protected readonly quiet: boolean;
  protected readonly now: () => Date;
  readonly redactor: Redactor;
  private readonly github: { summaryFile?: string } | undefined;

  constructor(options: ReporterOptions) {
    this.out = options.stdout;
    this.err = options.stderr;
    this.verbose = options.verbose ?? false;
    this.quiet = options.quiet ?? false;
    this.now = options.now ?? (() => new Date());
    this.redactor = options.redactor ?? new Redactor();
    this.github = options.env.GITHUB_ACTIONS === "true" ? { summaryFile: options.env.GITHUB_STEP_SUMMARY } : undefined;
  }

  redact(secret: string): void {
    this.redactor.add(secret);
  }

  protected writeOut(text: string): void {
    this.out.write(this.redactor.text(text));
  }

  protected writeErr(text: string): void {
    this.err.write(this.redactor.text(text));
  }

  abstract info(message: string, fields?: Fields): void;
  abstract debug(message: string, fields?: Fields): void;
  abstract start(kind: string, text: string): Progress;
  abstract event(type: string, fields: Fields, text?: string): void;
  protected abstract writeWarning(message: string, fields?: Fields): void;
  protected abstract writeResult(outcome: string, fields: Fields, text: string): void;

  warn(message: string, fields?: Fields): void {
    this.writeWarning(message, fields);
    this.annotate("warning", message);
  }

  result(outcome: string, fields: Fields, text: string): void {
    this.writeResult(outcome, fields, text);
    if (FAILED_OUTCOMES.has(outcome)) this.annotate("error", text);
    this.stepSummary(outcome, fields, text);
  }

  /** GitHub parses workflow commands from the step's output; stderr keeps stdout clean for JSON. */
  private annotate(level: "warning" | "error", message: string): void {
    if (!this.github) return;
    const escaped = message.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
    this.writeErr(`::${level}::${escaped}\n`);
  }

  private stepSummary(outcome: string, fields: Fields, text: string): void {
    if (!this.github?.summaryFile) return;
    const rows = Object.entries(fields)
      .filter(([, value]) => value !== undefined && typeof value !== "object")
      .map(([key, value]) => `| ${key} | ${String(value).replace(/\|/g, "\\|")} |`);
    const markdown = [`### grayctl: ${outcome}`, "", text, "", "| field | value |", "| --- | --- |", ...rows, ""].join(
      "\n",
    );
    try {
      appendFileSync(this.github.summaryFile, this.redactor.text(`${markdown}\n`));
    } catch (error) {
      this.writeWarning(`cannot write the GitHub step summary: ${(error as Error).message}`);
    }
  }
}
