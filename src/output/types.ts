// The output contract every command writes through. Implementations: tty
// (ora + chalk), plain (timestamped lines for CI), json (one event per line).
// All text passes the redaction filter before it is written.

export type Fields = Record<string, unknown>;

/** How loud an event is: a failed gate is a warning, most events are information. */
export type EventLevel = "info" | "warn";

/** A long-running activity: a spinner on a TTY, a start and an end line otherwise. */
export interface Progress {
  /**
   * New text for the activity. `state` is the text without what merely ticks (a
   * countdown): logs print an update when its state changed or every 15 s
   * (output/throttle.ts), a spinner shows every text.
   */
  update(text: string, state?: string): void;
  succeed(text: string, fields?: Fields): void;
  fail(text: string, fields?: Fields): void;
}

export interface Reporter {
  /** Diagnostics (stderr in text mode, events in json mode). */
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  /** Shown only with --verbose. */
  debug(message: string, fields?: Fields): void;
  start(kind: string, text: string): Progress;
  /** A structured event; text mode prints `text` when given, as a warning with level "warn". */
  event(type: string, fields: Fields, text?: string, level?: EventLevel): void;
  /** The command's result: the last event in json mode, on stdout in text mode. */
  result(outcome: string, fields: Fields, text: string): void;
  /** Registers a secret: it is replaced by *** in everything written afterwards. */
  redact(secret: string): void;
}
