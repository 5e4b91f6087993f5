// What a CI integration sees of a command (the reporter's calls, in order) and
// what it may do (write to the job log and to files, every byte redacted). The
// reporter defines this plug; ci/ implements it and cli/ plugs it in, so output/
// knows no CI system.
import type { Fields } from "./types.ts";

export interface CiIo {
  /** A line in the job log (stderr, where the runners parse workflow commands too). */
  log(line: string): void;
  /** Appends to a file; a file that cannot be written is a warning, never a failed command. */
  append(path: string, text: string): void;
  /** Writes a file whole, replacing what was there (its directory created if need be). */
  write(path: string, text: string): void;
  now(): Date;
}

export interface CiIntegration {
  progressStarted(kind: string, text: string): void;
  progressEnded(kind: string, ok: boolean): void;
  event(type: string, fields: Fields): void;
  warning(message: string): void;
  result(outcome: string, fields: Fields, text: string): void;
}

/** Makes the CI integrations that apply, given what they may write through. */
export type CiIntegrations = (io: CiIo) => CiIntegration[];
