// --output json: one JSON object per line on stdout, nothing else on stdout.
// The last line of a command is {"type":"result","outcome":…}.
import { BaseReporter } from "./reporter.ts";
import { throttledUpdates } from "./throttle.ts";
import type { EventLevel, Fields, Progress } from "./types.ts";

export class JsonReporter extends BaseReporter {
  private emit(type: string, fields: Fields): void {
    const line = JSON.stringify(this.redactor.value({ type, time: this.now().toISOString(), ...fields }));
    this.writeOut(`${line}\n`);
  }

  info(message: string, fields?: Fields): void {
    if (!this.quiet) this.emit("log", { level: "info", message, ...fields });
  }

  debug(message: string, fields?: Fields): void {
    if (this.verbose) this.emit("log", { level: "debug", message, ...fields });
  }

  protected writeWarning(message: string, fields?: Fields): void {
    this.emit("log", { level: "warn", message, ...fields });
  }

  protected startProgress(kind: string, text: string): Progress {
    this.emit("progress", { kind, status: "started", message: text });
    return {
      update: throttledUpdates(this.now, text, (next) =>
        this.emit("progress", { kind, status: "running", message: next }),
      ),
      succeed: (next, fields) => this.emit("progress", { kind, status: "succeeded", message: next, ...fields }),
      fail: (next, fields) => this.emit("progress", { kind, status: "failed", message: next, ...fields }),
    };
  }

  protected writeEvent(type: string, fields: Fields, _text?: string, level?: EventLevel): void {
    this.emit(type, level === "warn" ? { level, ...fields } : fields);
  }

  protected writeResult(outcome: string, fields: Fields, text: string): void {
    this.emit("result", { outcome, ...fields, message: text });
  }
}
