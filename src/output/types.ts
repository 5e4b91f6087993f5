// The output contract every command writes through. Implementations: tty
// (ora + chalk), plain (timestamped lines for CI), json (one event per line).
// All text passes the redaction filter before it is written.

export type Fields = Record<string, unknown>;

/** A long-running activity: a spinner on a TTY, a start and an end line otherwise. */
export interface Progress {
  update(text: string): void;
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
  /** A structured event; text mode prints `text` when given. */
  event(type: string, fields: Fields, text?: string): void;
  /** The command's result: the last event in json mode, on stdout in text mode. */
  result(outcome: string, fields: Fields, text: string): void;
  /** Registers a secret: it is replaced by *** in everything written afterwards. */
  redact(secret: string): void;
}
