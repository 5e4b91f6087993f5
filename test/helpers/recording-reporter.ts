// A Reporter that records every call verbatim (before any redaction), so tests
// can assert both what a command reported and that no secret ever reached it.
import type { Fields, Progress, Reporter } from "../../src/output/types.ts";

export interface RecordedCall {
  method: string;
  args: unknown[];
}

export class RecordingReporter implements Reporter {
  readonly calls: RecordedCall[] = [];
  /** what was passed to redact(); kept apart because it is not output */
  readonly redacted: string[] = [];

  info(message: string, fields?: Fields): void {
    this.calls.push({ method: "info", args: [message, fields] });
  }
  warn(message: string, fields?: Fields): void {
    this.calls.push({ method: "warn", args: [message, fields] });
  }
  debug(message: string, fields?: Fields): void {
    this.calls.push({ method: "debug", args: [message, fields] });
  }
  start(kind: string, text: string): Progress {
    this.calls.push({ method: "start", args: [kind, text] });
    return {
      update: (update) => this.calls.push({ method: `${kind}.update`, args: [update] }),
      succeed: (done, fields) => this.calls.push({ method: `${kind}.succeed`, args: [done, fields] }),
      fail: (failed, fields) => this.calls.push({ method: `${kind}.fail`, args: [failed, fields] }),
    };
  }
  event(type: string, fields: Fields, text?: string): void {
    this.calls.push({ method: "event", args: [type, fields, text] });
  }
  result(outcome: string, fields: Fields, text: string): void {
    this.calls.push({ method: "result", args: [outcome, fields, text] });
  }
  redact(secret: string): void {
    this.redacted.push(secret);
  }

  /** Everything reported, as one string (JSON of every call). */
  text(): string {
    return this.calls.map((call) => JSON.stringify(call)).join("\n");
  }
  of(method: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }
}
