// Colour decision in one place: NO_COLOR wins, then FORCE_COLOR, then whether
// the stream is a TTY. https://no-color.org, https://force-color.org
import { Chalk, type ChalkInstance } from "chalk";

export function colorLevel(env: Record<string, string | undefined>, isTTY: boolean): 0 | 1 | 2 | 3 {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === "0" || force === "false") return 0;
    if (force === "2") return 2;
    if (force === "3") return 3;
    return 1;
  }
  if (!isTTY || env.TERM === "dumb") return 0;
  return 2;
}

export function makeChalk(level: 0 | 1 | 2 | 3): ChalkInstance {
  return new Chalk({ level });
}
