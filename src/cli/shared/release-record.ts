// A release across targets holds its own lock and keeps its record (issue 22,
// decision 051) in the record target's cluster and namespace (`recordIn`,
// default the first target of the first wave): the release Lease
// `<app>-grayctl-release` — one release of an app at a time; a process here
// that died leaves it to be taken at once, a live one is refused (exit 5) —
// and the record ConfigMap of the same name, written only while that Lease is
// held (the session's fence).
import { randomBytes } from "node:crypto";
import type { Config } from "../../config/schema.ts";
import type { ResolvedTarget } from "../../config/targets.ts";
import { ExitCode, GrayctlError, UsageError } from "../../errors.ts";
import { LeaseHeldError } from "../../kube/lease.ts";
import { names } from "../../kube/names.ts";
import { withLease } from "../../operate/lease-hold.ts";
import { beginRelease, RecordUnreadableError, type ReleaseRecord } from "../../waves/record.ts";
import { keepRecord, type RecordKeeper } from "../../waves/record-keeper.ts";
import { ReleaseRecordStore } from "../../waves/record-store.ts";
import type { ReleaseOptions, ReleaseOutcome } from "../../waves/release.ts";
import { targetContext } from "./target-context.ts";
import type { CommandContext } from "../context.ts";
import { eachTarget, type TargetEntry, type TargetResult } from "./all-targets.ts";
import { actorFrom } from "./actor.ts";
import { sessionFor } from "./operate-session.ts";
import { clockFor } from "./test-hooks.ts";

export interface HeldRelease {
  keeper: RecordKeeper;
  /** Set when this run continues a release cut short. */
  resume?: ReleaseOptions["resume"];
  /** Aborted when this process loses the release Lease. */
  lost: AbortSignal;
}

/** The target whose namespace keeps the record. */
export function recordTarget(config: Config, targets: readonly ResolvedTarget[]): ResolvedTarget {
  const name = config.recordIn ?? config.waves?.[0]?.targets[0];
  const found = targets.find((target) => target.name === name);
  if (!found) throw new GrayctlError(`the record target ${name} is not among the targets`);
  return found;
}

export async function withReleaseRecord(
  ctx: CommandContext,
  config: Config,
  targets: readonly ResolvedTarget[],
  options: { image: string; commit?: string; force?: boolean; supersede?: boolean },
  act: (held: HeldRelease) => Promise<ReleaseOutcome>,
): Promise<ReleaseOutcome & { release: string }> {
  const where = recordTarget(config, targets);
  // Not stopped by the user's Ctrl-C: the release's rollbacks that follow one are recorded too.
  const tctx = targetContext(ctx, where, new AbortController().signal);
  const session = sessionFor(tctx, where.config, undefined, undefined, { name: names(config.app).release });
  const store = new ReleaseRecordStore(session.ctx.cluster, config.app);
  const clock = clockFor(ctx.env);
  const now = () => new Date(clock.now()).toISOString();
  const holder = { lease: session.lease, abort: session.abort, reporter: ctx.reporter, lockName: "release lock" };
  try {
    return await withLease(holder, Boolean(options.force), async () => {
      const began = beginRelease(await store.read(), {
        app: config.app,
        image: options.image,
        commit: options.commit,
        waves: (config.waves ?? []).map((wave) => wave.targets),
        onWaveFailure: config.onWaveFailure,
        actor: actorFrom(ctx.env, ctx.globals.actor),
        now: now(),
        id: releaseId(now()),
      });
      const cut = began.abandoned;
      // Its targets are as it left them, some with a rollout of its image in flight: the user decides, before any
      // target is touched, as a single rollout over one in flight asks for --supersede.
      if (cut && !options.supersede)
        throw new UsageError(
          `release ${cut.id} of ${cut.image} was cut short in wave ${cut.wave} (its process ended before the release did); nothing was changed`,
          `Continue it: \`grayctl rollout --image ${cut.image}\`. Undo it: \`grayctl rollback --all\`. Or start this release over it from wave 1: add --supersede.`,
        );
      if (cut)
        ctx.reporter.warn(
          `release ${cut.id} of ${cut.image} was cut short in wave ${cut.wave}; this release of another image starts over it at wave 1 (--supersede)`,
        );
      // Refused before any target is touched: a release that cannot keep its record does not start.
      await store.write(began.record).catch((error: Error) => {
        throw new GrayctlError(
          `the release record (${store.where} in target ${where.name}) could not be written: ${error.message}; nothing was changed`,
          { cause: error },
        );
      });
      const keeper = keepRecord(store, began.record, { now, warn: (message) => ctx.reporter.warn(message) });
      const resume = began.continues && {
        fromWave: began.continues.fromWave,
        targets: Object.fromEntries(
          Object.entries(began.record.targets).map(([name, entry]) => [
            name,
            { wave: entry.wave, rollout: entry.rollout, rollback: entry.rollback },
          ]),
        ),
      };
      const ended = await act({ keeper, resume, lost: session.abort.signal });
      return { ...ended, release: began.record.id };
    });
  } catch (error) {
    if (error instanceof LeaseHeldError)
      throw new GrayctlError(
        `a release of ${config.app} is running (its lock is Lease ${store.where.replace("ConfigMap ", "")} in target ${where.name}): ${error.message.replace(/^another grayctl holds the rollout lock of [^:]+: /, "")}`,
        {
          exitCode: ExitCode.locked,
          hint: "Wait for it to end, or stop it (Ctrl-C in its terminal, or cancel its CI job). --force takes the release over when its process is dead or hung.",
        },
      );
    if (error instanceof RecordUnreadableError)
      throw new GrayctlError(error.message, {
        exitCode: ExitCode.usage,
        hint: `It was edited by hand or written by a newer grayctl. \`kubectl delete configmap ${store.name} -n ${store.cluster.namespace}\` starts the next release afresh (each target keeps its own state).`,
      });
    throw error;
  }
}

/** A release's id: when it started, and a few random characters to tell two apart in the same second. */
function releaseId(now: string): string {
  return `${now.replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${randomBytes(2).toString("hex")}`;
}

/** The release across the targets as `status --all` and `history --all` show it. */
export interface ReleaseView {
  /** The record target's name, and where in it the record is. */
  target: string;
  where: string;
  record?: ReleaseRecord;
  /** Who holds the release lock, when a live or unconfirmed process does. */
  heldBy?: string;
}

export async function readReleaseView(
  ctx: CommandContext,
  config: Config,
  targets: readonly ResolvedTarget[],
): Promise<ReleaseView> {
  const where = recordTarget(config, targets);
  const session = sessionFor(targetContext(ctx, where), where.config, undefined, undefined, {
    name: names(config.app).release,
  });
  const store = new ReleaseRecordStore(session.ctx.cluster, config.app);
  const [record, lock] = await Promise.all([store.read(), session.lease.read()]);
  const held = lock && lock.basis !== "free" && lock.basis !== "process-gone" && lock.holder;
  return { target: where.name, where: store.where, record, heldBy: held || undefined };
}

/** The first line of `status --all`: the last release across the targets, and what to do with one cut short. */
export function describeRelease(view: ReleaseView, app: string, waves: number): string {
  const { record } = view;
  if (!record) return `${app}: no release across the targets recorded yet (${view.where} in target ${view.target})`;
  const head = `${app}: release ${record.id} of ${record.image}`;
  if (record.status !== "running")
    return `${head}: ${record.status} in wave ${record.wave}/${waves}${record.endedAt ? `, ${record.endedAt}` : ""}${record.message && record.status !== "promoted" ? ` — ${record.message}` : ""}`;
  if (view.heldBy) return `${head}: running, wave ${record.wave}/${waves} (by ${view.heldBy})`;
  return `${head}: cut short in wave ${record.wave}/${waves} (its process ended before the release did): \`grayctl rollout --image ${record.image}\` continues it, \`grayctl rollback --all\` undoes it`;
}

/** The release view, read in the record target under the deadline a target's own reads have (status/history --all). */
export async function readReleaseOf(
  ctx: CommandContext,
  config: Config,
  entries: TargetEntry[],
): Promise<TargetResult<ReleaseView>> {
  const targets = entries.map((entry) => entry.target);
  const recordIn = entries.filter((entry) => entry.target === recordTarget(config, targets));
  const [release] = await eachTarget(ctx, recordIn, () => readReleaseView(ctx, config, targets), { deadline: true });
  return release;
}
