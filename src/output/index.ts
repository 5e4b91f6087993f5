// Picks the reporter for this invocation: json when asked, the TTY reporter on
// an interactive terminal outside CI, plain timestamped lines everywhere else.
import { colorLevel, makeChalk } from "./colors.ts";
import { JsonReporter } from "./json.ts";
import { PlainReporter } from "./plain.ts";
import type { BaseReporter, ReporterOptions } from "./reporter.ts";
import { TtyReporter } from "./tty.ts";

export type OutputFormat = "text" | "json";

export function createReporter(options: ReporterOptions & { format: OutputFormat }): BaseReporter {
  if (options.format === "json") return new JsonReporter(options);
  const isTTY = Boolean(options.stderr.isTTY);
  const chalk = makeChalk(colorLevel(options.env, isTTY));
  const inCI = options.env.CI !== undefined && options.env.CI !== "" && options.env.CI !== "false";
  // A terminal that reports zero columns (`script` without a size, some CI
  // pseudo-terminals) makes ora redraw its spinner without end: plain lines there.
  const columns = (options.stderr as { columns?: number }).columns;
  const drawable = columns === undefined || columns > 0;
  // NO_COLOR: no escape sequence at all, and a spinner is nothing but escape sequences (redraws,
  // cursor moves, ora's coloured frames): plain lines, as on a dumb terminal (decision 029).
  const noColor = options.env.NO_COLOR !== undefined && options.env.NO_COLOR !== "";
  if (isTTY && drawable && !inCI && !noColor && options.env.TERM !== "dumb")
    return new TtyReporter({ ...options, chalk });
  return new PlainReporter({ ...options, chalk });
}

export type { Fields, Progress, Reporter } from "./types.ts";
