// The release record (issue 22): which wave each target of a release reached,
// with which image, kept in one ConfigMap in the record target's namespace
// (`recordIn`, default the first target of the first wave). It is what lets a
// re-run after a crash continue from the wave it reached, and what `status
// --all` and `history --all` show about the release as a whole. Each target's
// own state ConfigMap stays the truth about that target; the record never
// decides a rollback by itself.
import { z } from "zod";

export const RECORD_SCHEMA_VERSION = 1;
/** Earlier releases kept for `history --all`: the record stays small. */
const PREVIOUS_LIMIT = 20;

export const RELEASE_STATUSES = ["running", "promoted", "rolled-back", "failed"] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

const timestamp = z.string().refine((text) => !Number.isNaN(Date.parse(text)), "not a date and time");

const targetEntry = z.strictObject({
  wave: z.int().min(1),
  /** How its rollout in this release ended (promoted, unchanged, rolled-back, failed…); absent while not run. */
  rollout: z.string().optional(),
  /** How its rollback in this release ended, when one ran. */
  rollback: z.string().optional(),
  /** When it ran the release's image (promoted, deployed or already on it). */
  reachedAt: timestamp.optional(),
  /** Its own revision (the number in its `grayctl history`) that its rollout in this release recorded. */
  revision: z.int().min(1).optional(),
});

const summary = z.strictObject({
  id: z.string(),
  image: z.string(),
  status: z.enum(RELEASE_STATUSES),
  wave: z.int().min(1),
  startedAt: timestamp,
  endedAt: timestamp.optional(),
  actor: z.string(),
  message: z.string().optional(),
});

const recordSchema = z.strictObject({
  schemaVersion: z.literal(RECORD_SCHEMA_VERSION),
  app: z.string(),
  ...summary.shape,
  commit: z.string().optional(),
  /** The waves' target names as this release ran them: a re-run with other waves starts afresh. */
  waves: z.array(z.array(z.string())),
  onWaveFailure: z.enum(["rollback", "halt"]),
  targets: z.record(z.string(), targetEntry),
  previous: z.array(summary).default([]),
});

export type ReleaseRecord = z.output<typeof recordSchema>;
export type ReleaseSummary = z.output<typeof summary>;
export type TargetEntry = z.output<typeof targetEntry>;

export class RecordUnreadableError extends Error {}

/** The record from its ConfigMap data; an unreadable one is refused, never half-read or written over. */
export function decodeRecord(text: string | undefined, where: string): ReleaseRecord | undefined {
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RecordUnreadableError(`${where}: its release record is not JSON`);
  }
  const parsed = recordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RecordUnreadableError(
      `${where}: its release record is not readable at ${issue.path.join(".") || "the top"}: ${issue.message}`,
    );
  }
  return parsed.data;
}

export function encodeRecord(record: ReleaseRecord): string {
  return JSON.stringify(record);
}

/** What a release asks for: one image through these waves. */
export interface ReleaseRequest {
  app: string;
  image: string;
  commit?: string;
  waves: string[][];
  onWaveFailure: "rollback" | "halt";
  actor: string;
  now: string;
  id: string;
}

/** Outcomes after which a target runs the release's image. */
export const REACHED = new Set(["promoted", "deployed", "unchanged"]);

export interface Beginning {
  record: ReleaseRecord;
  /** Set when the stored release was cut short (its process died) and this run continues it. */
  continues?: { fromWave: number; reached: string[] };
  /** A release of another image that was cut short: this one starts afresh and says so. */
  abandoned?: ReleaseSummary;
}

/**
 * Starts a release, or continues the stored one: same image, same waves, and
 * its process gone before it ended (status still running — the caller holds the
 * release Lease, so no live process is running it). It continues from the wave
 * it reached; the targets of earlier waves that reached the image are not
 * redone, and a failure policy of `rollback` still covers them.
 */
export function beginRelease(stored: ReleaseRecord | undefined, request: ReleaseRequest): Beginning {
  const cutShort = stored?.status === "running" ? stored : undefined;
  const same =
    cutShort !== undefined &&
    cutShort.image === request.image &&
    JSON.stringify(cutShort.waves) === JSON.stringify(request.waves);
  if (same && cutShort) {
    const reached = request.waves
      .slice(0, cutShort.wave - 1)
      .flat()
      .filter((name) => REACHED.has(cutShort.targets[name]?.rollout ?? ""));
    // A target of an earlier wave that did not reach the image (its entry lost): its wave is redone.
    const firstMissing = request.waves.findIndex(
      (names, index) => index < cutShort.wave - 1 && names.some((name) => !reached.includes(name)),
    );
    const fromWave = firstMissing === -1 ? cutShort.wave : firstMissing + 1;
    const record: ReleaseRecord = {
      ...cutShort,
      wave: fromWave,
      onWaveFailure: request.onWaveFailure,
      actor: request.actor,
      targets: Object.fromEntries(
        request.waves.flatMap((names, index) =>
          names.map((name) => [name, index + 1 < fromWave ? cutShort.targets[name] : { wave: index + 1 }]),
        ),
      ),
    };
    return {
      record,
      continues: { fromWave, reached: reached.filter((name) => waveOf(request.waves, name) < fromWave) },
    };
  }
  const previous = stored ? [summarize(stored), ...stored.previous].slice(0, PREVIOUS_LIMIT) : [];
  const record: ReleaseRecord = {
    schemaVersion: RECORD_SCHEMA_VERSION,
    app: request.app,
    id: request.id,
    image: request.image,
    commit: request.commit,
    status: "running",
    wave: 1,
    startedAt: request.now,
    actor: request.actor,
    waves: request.waves,
    onWaveFailure: request.onWaveFailure,
    targets: Object.fromEntries(
      request.waves.flatMap((names, index) => names.map((name) => [name, { wave: index + 1 }])),
    ),
    previous,
  };
  return { record, abandoned: cutShort ? summarize(cutShort) : undefined };
}

export function summarize(record: ReleaseRecord): ReleaseSummary {
  const { id, image, status, wave, startedAt, endedAt, actor, message } = record;
  return { id, image, status, wave, startedAt, endedAt, actor, message };
}

function waveOf(waves: string[][], name: string): number {
  return waves.findIndex((names) => names.includes(name)) + 1;
}
