// A duration field of grayctl.yaml with an upper bound: a deadline of "9999h"
// (or 1e300 seconds) is a typo, and past about 24.8 days Node's timers fire at
// once instead (setTimeout's 32-bit limit), which would turn a wait into none.
import { z } from "zod";
import { parseDuration } from "./duration.ts";

export const DURATION_MESSAGE = 'must be a duration such as "30s", "1m" or "1h30m"';

/** A duration of at least `min` (default: any) and at most `max`, e.g. duration("1h"). */
export function duration(max: string, min?: string) {
  const maxMs = parseDuration(max)!;
  const minMs = min === undefined ? 0 : parseDuration(min)!;
  return z
    .union([z.string(), z.number()])
    .superRefine((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined) ctx.addIssue({ code: "custom", message: DURATION_MESSAGE, input: value });
      else if (ms > maxMs) ctx.addIssue({ code: "custom", message: `${show(value)} is above ${max}`, input: value });
      else if (ms < minMs) ctx.addIssue({ code: "custom", message: `${show(value)} is below ${min}`, input: value });
    })
    .describe(`A duration: "500ms", "30s", "1m", "1h30m", or a number of seconds; at most ${max}.`);
}

const show = (value: string | number) => (typeof value === "number" ? `${value}s` : JSON.stringify(value));
