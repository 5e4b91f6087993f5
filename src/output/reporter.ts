// The shared part of every reporter: redaction, verbosity, and the CI
// integrations (src/ci/: GitHub Actions, GitLab CI), which see every call.
// Subclasses decide how things look.
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { CiIntegration, CiIntegrations, CiIo } from "./ci-plug.ts";
import { FAILED_OUTCOMES, isFailure } from "./outcomes.ts";
import { Redactor } from "./redact.ts";
import type { EventLevel, Fields, Progress, Reporter } from "./types.ts";

export { FAILED_OUTCOMES, isFailure };

export interface Sink {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ReporterOptions {
  stdout: Sink;
  stderr: Sink;
  env: Record<string, string | undefined>;
  /** The CI integrations this run reports to (ci/ciIntegrations, plugged in by cli/); none by default. */
  ci?: CiIntegrations;
  verbose?: boolean;
  quiet?: boolean;
  now?: () => Date;
  redactor?: Redactor;
}

export abstract class BaseReporter implements Reporter {
  protected readonly out: Sink;
  protected readonly err: Sink;
  protected readonly verbose: boolean;
  protected readonly quiet: boolean;
  protected readonly now: () => Date;
  readonly redactor: Redactor;
  private readonly ci: CiIntegration[];
  private resulted = false;

  constructor(options: ReporterOptions) {
    this.out = options.stdout;
    this.err = options.stderr;
    this.verbose = options.verbose ?? false;
    this.quiet = options.quiet ?? false;
    this.now = options.now ?? (() => new Date());
    this.redactor = options.redactor ?? new Redactor();
    this.ci = options.ci?.(this.ciIo()) ?? [];
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
  protected abstract startProgress(kind: string, text: string): Progress;
  protected abstract writeEvent(type: string, fields: Fields, text?: string, level?: EventLevel): void;
  protected abstract writeWarning(message: string, fields?: Fields): void;
  protected abstract writeResult(outcome: string, fields: Fields, text: string): void;

  // Everything is masked here, before a reporter or a CI integration escapes it (`%25`, `&amp;`,
  // a table cell), cuts it or serialises it: escaped first, a secret would no longer match.
  start(kind: string, raw: string): Progress {
    const text = this.redactor.text(raw);
    for (const ci of this.ci) ci.progressStarted(kind, text);
    const progress = this.startProgress(kind, text);
    // The CI's fold closes after the line that ends the activity, so that line stays inside it.
    return {
      update: (next, state) => progress.update(this.redactor.text(next), state),
      succeed: (next, fields) => {
        progress.succeed(this.redactor.text(next), this.redactor.value(fields));
        for (const ci of this.ci) ci.progressEnded(kind, true);
      },
      fail: (next, fields) => {
        progress.fail(this.redactor.text(next), this.redactor.value(fields));
        for (const ci of this.ci) ci.progressEnded(kind, false);
      },
    };
  }

  event(type: string, raw: Fields, rawText?: string, level: EventLevel = "info"): void {
    const fields = this.redactor.value(raw);
    const text = rawText === undefined ? undefined : this.redactor.text(rawText);
    this.writeEvent(type, fields, text, level);
    // The CI integrations judge events by their type (GitHub annotates a failed gate itself).
    for (const ci of this.ci) ci.event(type, fields);
  }

  warn(rawMessage: string, rawFields?: Fields): void {
    const message = this.redactor.text(rawMessage);
    const fields = rawFields && this.redactor.value(rawFields);
    this.writeWarning(message, fields);
    for (const ci of this.ci) ci.warning(message);
  }

  /** True once the command's result is out (a second one would contradict it). */
  get hasResult(): boolean {
    return this.resulted;
  }

  result(outcome: string, rawFields: Fields, rawText: string): void {
    const fields = this.redactor.value(rawFields);
    const text = this.redactor.text(rawText);
    this.resulted = true;
    this.writeResult(outcome, fields, text);
    for (const ci of this.ci) ci.result(outcome, fields, text);
  }

  /** What the CI integrations may write: the job log (stderr keeps stdout clean for JSON) and report files. */
  private ciIo(): CiIo {
    const guarded = (path: string, write: () => void) => {
      try {
        write();
      } catch (error) {
        this.writeWarning(`cannot write the CI report ${path}: ${(error as Error).message}`);
      }
    };
    return {
      log: (line) => this.writeErr(`${line}\n`),
      append: (path, text) => guarded(path, () => appendFileSync(path, this.redactor.text(text))),
      write: (path, text) =>
        guarded(path, () => {
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, this.redactor.text(text));
        }),
      now: () => this.now(),
    };
  }
}
