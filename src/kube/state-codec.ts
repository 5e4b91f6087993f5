// The state ConfigMap's wire format: a schema version, the rollout state and
// the release history as JSON, each validated on read (decision 018). A record
// someone edited by hand, or a newer grayctl wrote, is refused with the object,
// the field and the command that repairs it — never half-read, so no deadline
// becomes NaN and no step is skipped because a field went missing.
import type { V1ConfigMap } from "@kubernetes/client-node";
import { z } from "zod";
import { configSchema } from "../config/schema.ts";
import { UsageError } from "../errors.ts";
import { FROM_CONFIGURATION, plannedRollout } from "../model/plan.ts";
import { type Release, type RolloutState, type StoredState, trimTemplates } from "../model/state.ts";
import { MANAGED_BY } from "./names.ts";

/** The version this grayctl writes; a record without one predates versions and reads as 1. */
export const STATE_SCHEMA_VERSION = 1;
const VERSION_KEY = "schemaVersion";
/** Older releases are dropped so the ConfigMap stays far below its 1 MiB limit. */
const HISTORY_LIMIT = 50;

const PHASES = [
  "deploying",
  "progressing",
  "paused",
  "promoting",
  "rolling-back",
  "deployed",
  "promoted",
  "rolled-back",
  "interrupted",
] as const;

const timestamp = z.string().refine((text) => !Number.isNaN(Date.parse(text)), "not a date and time");
const weight = z.number().min(0).max(100);
const revision = z.number().int().min(1);

const numbers = z.record(z.string(), z.number().nullable());
const decisionRecord = z.looseObject({
  gate: z.string(),
  source: z.string(),
  query: z.string().optional(),
  statusLabel: z.string().optional(),
  step: z.number(),
  weight: z.number(),
  window: z.looseObject({ start: z.string(), end: z.string(), seconds: z.number() }),
  canary: numbers,
  stable: numbers,
  statistic: z.string(),
  pValue: z.number().nullable(),
  threshold: numbers,
  details: numbers,
  // "continue": a look inside the window that concluded nothing (issue 21).
  verdict: z.enum(["passed", "failed", "inconclusive", "continue"]),
  text: z.string(),
  look: z.literal("interim").optional(),
  evidence: z
    .looseObject({ eValue: z.number(), ceilingEValue: z.number().nullable(), threshold: z.number() })
    .optional(),
});

// The recorded plan (model/plan.ts) is checked by the configuration's own rules
// (steps rising, durations, gates). Its rollout fields must all be there: the
// configuration's defaults never stand in for a recorded step list.
/** A URL the record masked (it held a secret) passes the URL rule as this, and reads back masked. */
const MASKED_URL = "http://masked.invalid/";

function swapped(value: unknown, from: string, to: string): unknown {
  if (value === from) return to;
  if (Array.isArray(value)) return value.map((item) => swapped(item, from, to));
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, swapped(v, from, to)]));
  return value;
}

const configuredPlan = z.looseObject({
  rollout: configSchema.shape.rollout,
  analysis: configSchema.shape.analysis,
});
const durationField = z.union([z.string(), z.number()]);
const planSchema = z
  .looseObject({
    rollout: z.looseObject({
      steps: z.array(z.unknown()).min(1),
      interval: durationField,
      progressDeadline: durationField,
      readyTimeout: durationField,
      onInterrupt: z.string(),
      scaleDownDelay: durationField,
    }),
    analysis: z.looseObject({}),
  })
  .transform((value, ctx) => {
    const parsed = configuredPlan.safeParse(swapped(value, FROM_CONFIGURATION, MASKED_URL));
    if (parsed.success) {
      const analysis = swapped(parsed.data.analysis, MASKED_URL, FROM_CONFIGURATION) as typeof parsed.data.analysis;
      return { rollout: plannedRollout(parsed.data.rollout), analysis };
    }
    for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
    return z.NEVER;
  });

// Loose: fields a later release of this schema version adds (and restoreRevision
// of a rollback in progress) pass through and are written back unchanged.
const stateSchema = z.looseObject({
  phase: z.enum(PHASES),
  revision,
  image: z.string().min(1),
  previousImage: z.string().min(1).optional(),
  commit: z.string().optional(),
  stepIndex: z.number().int().min(-1),
  weight,
  targetWeight: weight,
  startedAt: timestamp,
  // Bookkeeping with a safe value when missing: no deadline is computed from updatedAt.
  updatedAt: timestamp.optional(),
  stepStartedAt: timestamp.optional(),
  actor: z.string(),
  owner: z.string(),
  reason: z.string().optional(),
  gates: z.array(z.looseObject({ gate: z.string(), result: z.string() })).default([]),
  inconclusive: z.record(z.string(), z.number()).default({}),
  // Decision records (analysis/record.ts) are for people to read: a damaged
  // list is dropped rather than holding up a rollout or a rollback.
  decisions: z.array(decisionRecord).optional().catch(undefined),
  // Missing counts as no time spent: the deadline starts over rather than becoming NaN.
  activeMs: z.number().min(0).default(0),
  restoreRevision: revision.optional(),
  stableReplicas: z.number().int().min(0).optional(),
  template: z.looseObject({}).optional(),
  previousTemplate: z.looseObject({}).optional(),
  plan: planSchema.optional(),
});

const releaseSchema = z.looseObject({
  revision,
  image: z.string().min(1),
  previousImage: z.string().min(1).optional(),
  commit: z.string().optional(),
  actor: z.string(),
  time: timestamp,
  outcome: z.enum(["deployed", "promoted", "rolled-back"]),
  reason: z.string().optional(),
  restoredRevision: revision.optional(),
  template: z.looseObject({}).optional(),
});

/** The state ConfigMap cannot be read by this grayctl: hand-edited, truncated, or written by a newer one. Exit 2. */
export class StateUnreadableError extends UsageError {
  readonly configMap: string;
  readonly newer: boolean;
  constructor(where: { name: string; namespace: string }, problem: string, repair: string, newer = false) {
    super(`ConfigMap ${where.name} in namespace ${where.namespace}: ${problem}`, repair);
    this.name = "StateUnreadableError";
    this.configMap = where.name;
    this.newer = newer;
  }
}

export function isStateUnreadable(error: unknown): error is StateUnreadableError {
  return error instanceof StateUnreadableError;
}

export function decodeState(map: V1ConfigMap | undefined, where: { name: string; namespace: string }): StoredState {
  if (!map) return { history: [] };
  const data = map.data ?? {};
  const version = data[VERSION_KEY] === undefined ? 1 : Number(data[VERSION_KEY]);
  if (!Number.isInteger(version) || version < 1)
    throw unreadable(where, `${VERSION_KEY}: "${data[VERSION_KEY]}" is not a schema version`, VERSION_KEY);
  if (version > STATE_SCHEMA_VERSION)
    throw new StateUnreadableError(
      where,
      `written by a newer grayctl (state schema version ${version}; this grayctl reads up to ${STATE_SCHEMA_VERSION})`,
      `Upgrade grayctl to the version that wrote ${where.name}. \`grayctl rollback\` still sends all traffic to stable and scales the canary to 0 from the cluster's objects alone.`,
      true,
    );
  const state = data.state === undefined ? undefined : field(where, "state", data.state, stateSchema);
  const history = data.history === undefined ? [] : field(where, "history", data.history, z.array(releaseSchema));
  return {
    state: state && ({ updatedAt: state.startedAt, ...state } as RolloutState),
    history: history as Release[],
    resourceVersion: map.metadata?.resourceVersion,
  };
}

function field<T>(where: { name: string; namespace: string }, key: string, text: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw unreadable(where, `data.${key} is not JSON (${(error as Error).message})`, key);
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue.path.map((part) => (typeof part === "number" ? `[${part}]` : `.${String(part)}`)).join("");
  throw unreadable(where, `data.${key}${path}: ${issue.message}`, key);
}

function unreadable(where: { name: string; namespace: string }, problem: string, key: string): StateUnreadableError {
  const target = `configmap ${where.name} -n ${where.namespace}`;
  const losing = key === "history" ? "the release history" : "the record of the rollout in flight (history is kept)";
  return new StateUnreadableError(
    where,
    `the rollout state cannot be read: ${problem}`,
    [
      `Repair the field with \`kubectl edit ${target}\`, or drop ${losing} with`,
      `  kubectl patch ${target} --type=json -p '[{"op":"remove","path":"/data/${key}"}]'`,
      "`grayctl rollback` works meanwhile: it sends all traffic to stable and scales the canary to 0 from the cluster's objects alone.",
    ].join("\n"),
  );
}

export function encodeState(
  app: string,
  where: { name: string; namespace: string },
  next: { state?: RolloutState; history: Release[] },
  current: V1ConfigMap | undefined,
): V1ConfigMap {
  const data: Record<string, string> = {
    [VERSION_KEY]: String(STATE_SCHEMA_VERSION),
    history: JSON.stringify(trimTemplates(next.history.slice(-HISTORY_LIMIT))),
  };
  if (next.state) data.state = JSON.stringify(next.state);
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: where.name,
      namespace: where.namespace,
      labels: { app, ...MANAGED_BY },
      // Carrying the version read makes the write conditional: 409 if anyone wrote since.
      resourceVersion: current?.metadata?.resourceVersion,
    },
    data,
  };
}
