// Header pinning, closed by default (DESIGN.md invariant 10, decision 034):
// with traffic.pin, requests carrying `<header>: <secret value>` reach the
// canary whatever its weight; without it, no header reaches it. Older grayctl
// versions wrote open pins (`x-canary: always` to the canary, `never` to
// stable) that anyone could send; every write removes them.
import type { Config } from "../config/schema.ts";

export interface Pin {
  header: string;
  /** The secret; undefined when its variable is not set here (e.g. a rollback from a laptop): pins are left as they are. */
  value?: string;
}

/** The header older versions pinned by when the configuration named none. */
const OPEN_HEADER = "x-canary";
const OPEN_VALUES: readonly (string | undefined)[] = ["always", "never"];

export function pinOf(config: Config): Pin | undefined {
  const pin = config.traffic.pin;
  return pin ? { header: pin.header, value: pin.value } : undefined;
}

/** An open pin of an older version (`x-canary: always|never`, or the pin header with those values). */
export function isOpenPinMatch(name: string, value: string | undefined, pin: Pin | undefined): boolean {
  const lower = name.toLowerCase();
  return (lower === OPEN_HEADER || lower === pin?.header.toLowerCase()) && OPEN_VALUES.includes(value);
}

/** A header match that pins: an open one, or by the configured pin header (with any value: the secret may have changed). */
export function isPinMatch(name: string, value: string | undefined, pin: Pin | undefined): boolean {
  if (value === undefined) return false;
  return isOpenPinMatch(name, value, pin) || (pin !== undefined && name.toLowerCase() === pin.header.toLowerCase());
}
