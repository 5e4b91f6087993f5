// One release across several targets, in waves (issue 22, decision 047). No
// controller: this process runs each target's own rollout (the engine, through
// the `TargetRun` the CLI builds: its own client, Lease, state, gates, fencing)
// and keeps the order. The sequencing lives here, apart from any cluster, so
// that what happens on a failure is one readable function.
import type { Clock } from "../kube/clock.ts";
import { ExitCode } from "../errors.ts";
import { mapLimited } from "../util/map-limited.ts";

/** How one target's rollout or rollback ended. */
export interface TargetOutcome {
  outcome: string;
  exitCode: number;
  message: string;
  /** Thrown rather than returned (the target's API did not answer, a bug): nothing more is sent to it. */
  threw?: boolean;
  /** The target's own revision (its history's number) that this rollout recorded. */
  revision?: number;
}

export interface TargetRun {
  name: string;
  /**
   * A full canary rollout in this target. `signal` stops it at the engine's next safe point (it then rolls back).
   * `onOutage`: its API stopped answering; its engine goes on trying to route it to stable until its progress
   * deadline, and the release does not wait for that to stop the others.
   */
  rollout(signal: AbortSignal, onOutage: (what: string) => void): Promise<TargetOutcome>;
  /** Back to the previous release (the existing rollback: route to stable first), or the rollout in flight undone. */
  rollback(reason: string): Promise<TargetOutcome>;
  /** During a bake: undefined while healthy, else what is wrong. `final`: the bake's last look. */
  health(final: boolean): Promise<string | undefined>;
}

export interface Wave {
  targets: string[];
  bakeMs: number;
  maxParallel: number;
}

export interface ReleaseOptions {
  waves: Wave[];
  onWaveFailure: "rollback" | "halt";
  clock: Clock;
  /** The user's cancellation: stops the release as a failure would. */
  signal: AbortSignal;
  /** How often a bake looks at the promoted targets. */
  bakeCheckMs: number;
  /** A line about the release (target undefined) or one target. */
  report(target: string | undefined, type: string, fields: Record<string, unknown>, text: string, warn?: boolean): void;
  /**
   * A release cut short (its process died), continued: its waves before `fromWave` are not run again, and
   * their targets' entries (how each ended) are these. Those that reached the image count as promoted by
   * this release, for `onWaveFailure: rollback`.
   */
  resume?: { fromWave: number; targets: ReleaseOutcome["targets"] };
  /** Told of every change (the release record's write), awaited; whatever it throws is the caller's to handle. */
  onChange?(change: ReleaseChange): Promise<void>;
}

/** The release as it stands: for the release record. */
export interface ReleaseChange {
  wave: number;
  status: "running" | "promoted" | "rolled-back";
  targets: ReleaseOutcome["targets"];
  /** Each target's revision recorded by its rollout in this release, as far as known. */
  revisions?: Readonly<Record<string, number>>;
  message?: string;
}

export interface ReleaseOutcome {
  outcome: "promoted" | "rolled-back" | "failed";
  exitCode: number;
  message: string;
  /** Per target: the outcome of its rollout, and of its rollback when one ran. */
  targets: Record<string, { wave: number; rollout?: string; rollback?: string }>;
}

/** Outcomes after which a target runs the new release. */
const SUCCEEDED = new Set(["promoted", "deployed", "unchanged"]);

export async function releaseInWaves(
  runs: ReadonlyMap<string, TargetRun>,
  options: ReleaseOptions,
): Promise<ReleaseOutcome> {
  const record: ReleaseOutcome["targets"] = {};
  options.waves.forEach((wave, index) => {
    for (const name of wave.targets) record[name] = { wave: index + 1 };
  });
  /** Targets this release moved to the new image, wave by wave: the ones a rollback policy undoes. */
  const promoted: string[] = [];
  const fromWave = options.resume?.fromWave ?? 1;
  /** Set once a wave failed: from then on the record says rolled-back, never running. */
  let failing = false;
  const revisions: Record<string, number> = {};
  const changed = (wave: number, status: ReleaseChange["status"] = "running", message?: string) =>
    options.onChange?.({ wave, status, targets: record, revisions, message });
  if (options.resume) {
    for (const wave of options.waves.slice(0, fromWave - 1))
      for (const name of wave.targets) {
        Object.assign(record[name], options.resume.targets[name]);
        if (SUCCEEDED.has(record[name].rollout ?? "")) promoted.push(name);
      }
    options.report(
      undefined,
      "release-continued",
      { wave: fromWave, reached: [...promoted] },
      `continuing the release from wave ${fromWave}/${options.waves.length}${promoted.length > 0 ? ` (already on it: ${promoted.join(", ")})` : ""}`,
    );
  }
  for (const [index, wave] of options.waves.entries()) {
    const number = index + 1;
    if (number < fromWave) continue;
    await changed(number);
    options.report(
      undefined,
      "wave-started",
      { wave: number, targets: wave.targets },
      `wave ${number}/${options.waves.length}: ${wave.targets.join(", ")}`,
    );
    const stop = new AbortController();
    const onCancel = () => stop.abort(options.signal.reason);
    options.signal.addEventListener("abort", onCancel, { once: true });
    let failure: { target: string; why: string; exitCode: number } | undefined;
    const ended = new Map<string, TargetOutcome>();
    /** Each started target's rollout, and those whose API stopped answering (not waited for once the wave fails). */
    const started = new Map<string, Promise<void>>();
    const adrift = new Set<string>();
    const outages = new Signals();
    const runOne = async (name: string) => {
      if (stop.signal.aborted) return; // never started: nothing to undo
      const onOutage = (what: string) => {
        if (adrift.has(name)) return;
        adrift.add(name);
        options.report(
          name,
          "target-unreachable",
          { wave: number, reason: what },
          `${what}: the release stops without waiting for it (its own rollout keeps trying to put its traffic on stable)`,
          true,
        );
        if (!failure) {
          failure = { target: name, why: `its Kubernetes API stopped answering (${what})`, exitCode: ExitCode.timeout };
          stop.abort(new Error(`target ${name} is unreachable`));
        }
        outages.fire();
      };
      const run = (async () => {
        const outcome = await settle(() => runs.get(name)!.rollout(stop.signal, onOutage));
        ended.set(name, outcome);
        record[name].rollout = outcome.outcome;
        if (outcome.revision !== undefined) revisions[name] = outcome.revision;
        // A target adrift may end after the release recorded its failure: never recorded as running again.
        if (!failing) await changed(number);
        if (!SUCCEEDED.has(outcome.outcome) && !failure) {
          failure = { target: name, why: outcome.message, exitCode: outcome.exitCode || 1 };
          // The wave's other targets stop at their next safe point.
          stop.abort(new Error(`target ${name} failed`));
        }
      })();
      started.set(name, run);
      await run;
    };
    try {
      const everyone = mapLimited([...wave.targets], wave.maxParallel, runOne);
      await Promise.race([everyone, outages.first.then(() => othersEnded(started, adrift, ended, outages))]);
    } finally {
      options.signal.removeEventListener("abort", onCancel);
    }
    if (!failure && options.signal.aborted) failure = { target: "", why: "interrupted", exitCode: 130 };
    if (!failure) {
      for (const name of wave.targets) promoted.push(name);
      options.report(undefined, "wave-promoted", { wave: number }, `wave ${number}: every target promoted`);
      const sick = await bake(runs, wave, number, options);
      if (sick) failure = { ...sick, exitCode: 3 };
      // A wave that failed its bake is undone with this wave's targets below, not as an earlier wave.
      if (sick) promoted.splice(promoted.length - wave.targets.length, wave.targets.length);
    }
    if (failure) {
      failing = true;
      const outcome = await fail(runs, options, record, { wave, number, failure, ended, promoted, adrift });
      if (adrift.size === 0) return outcome;
      // The process ends when the targets adrift do: by their progress deadline, rolled back if their API came back.
      await Promise.all([...adrift].map((name) => started.get(name)));
      const left = [...adrift].map((name) => `${name}: ${record[name].rollout}`).join(", ");
      const message = `${outcome.message}; since then ${left}`;
      await options.onChange?.({ wave: number, status: "rolled-back", targets: record, message });
      return { ...outcome, message };
    }
  }
  const message = `released to ${Object.keys(record).length} targets in ${options.waves.length} waves`;
  await changed(options.waves.length, "promoted", message);
  return { outcome: "promoted", exitCode: 0, message, targets: record };
}

/** Watches the wave's targets for `bakeMs`; returns the first problem, or undefined when the bake passed. */
async function bake(
  runs: ReadonlyMap<string, TargetRun>,
  wave: Wave,
  number: number,
  options: ReleaseOptions,
): Promise<{ target: string; why: string } | undefined> {
  if (wave.bakeMs <= 0) return undefined;
  options.report(
    undefined,
    "bake-started",
    { wave: number, bakeMs: wave.bakeMs },
    `wave ${number}: baking ${Math.round(wave.bakeMs / 1000)}s`,
  );
  const end = options.clock.monotonic() + wave.bakeMs;
  for (;;) {
    // The first look at or past the bake's end is its last: the metric ceilings give their verdicts there.
    const final = options.clock.monotonic() >= end;
    for (const name of wave.targets) {
      const problem = await runs
        .get(name)!
        .health(final)
        .catch((error: Error) => `its API did not answer: ${error.message}`);
      if (problem) {
        options.report(
          name,
          "bake-failed",
          { wave: number, reason: problem },
          `unhealthy while baking: ${problem}`,
          true,
        );
        return { target: name, why: problem };
      }
    }
    if (final) break;
    try {
      await options.clock.sleep(
        Math.max(0, Math.min(end - options.clock.monotonic(), options.bakeCheckMs)),
        options.signal,
      );
    } catch {
      return { target: "", why: "interrupted while baking" };
    }
  }
  options.report(undefined, "bake-passed", { wave: number }, `wave ${number}: baked, healthy`);
  return undefined;
}

/**
 * A failure stops the release: every target of the failing wave that is not
 * already rolled back is rolled back, then (onWaveFailure: rollback) every
 * target promoted in an earlier wave, all in parallel. A target whose API did not
 * answer is named and left alone: a rollback would wait out the same outage.
 */
async function fail(
  runs: ReadonlyMap<string, TargetRun>,
  options: ReleaseOptions,
  record: ReleaseOutcome["targets"],
  at: {
    wave: Wave;
    number: number;
    failure: { target: string; why: string; exitCode: number };
    ended: Map<string, TargetOutcome>;
    promoted: string[];
    /** This wave's targets whose API stopped answering mid-rollout (their engines still running). */
    adrift: ReadonlySet<string>;
  },
): Promise<ReleaseOutcome> {
  const { failure, number } = at;
  const who = failure.target ? `target ${failure.target}` : "the release";
  const reason = `wave ${number} failed: ${who}: ${failure.why}`;
  options.report(undefined, "wave-failed", { wave: number, target: failure.target, reason: failure.why }, reason, true);
  // Recorded before the rollbacks: a re-run after a crash from here on starts a new release, it never continues this one.
  await options.onChange?.({ wave: number, status: "rolled-back", targets: record, message: reason });
  const unreachable = at.wave.targets.filter((name) => at.ended.get(name)?.threw || at.adrift.has(name));
  const thisWave = at.wave.targets.filter((name) => {
    const ended = at.ended.get(name);
    return ended !== undefined && !ended.threw && ended.outcome !== "rolled-back" && !at.adrift.has(name);
  });
  const earlier = options.onWaveFailure === "rollback" ? at.promoted : [];
  await Promise.all(
    [...thisWave, ...earlier].map(async (name) => {
      const outcome = await settle(() => runs.get(name)!.rollback(reason));
      record[name].rollback = outcome.outcome;
      if (outcome.threw) unreachable.push(name);
      await options.onChange?.({ wave: number, status: "rolled-back", targets: record, message: reason });
    }),
  );
  const parts = [reason];
  // Named once: a target whose rollback did not reach its API is "not reached", never also "rolled back".
  const undone = [...thisWave, ...earlier].filter((name) => !unreachable.includes(name));
  if (undone.length > 0) parts.push(`rolled back: ${undone.join(", ")}`);
  if (options.onWaveFailure === "halt" && at.promoted.length > 0)
    parts.push(`left on the new release (onWaveFailure: halt): ${at.promoted.join(", ")}`);
  if (unreachable.length > 0)
    parts.push(
      `not reached, left as they were: ${[...new Set(unreachable)].join(", ")} (\`grayctl rollback\` with each one's context once it answers)`,
    );
  const message = parts.join("; ");
  await options.onChange?.({ wave: number, status: "rolled-back", targets: record, message });
  return { outcome: "rolled-back", exitCode: failure.exitCode, message, targets: record };
}

/** A target's rollout or rollback as a value: a thrown error (an unreachable API) is that target's failure, not the release's crash. */
async function settle(work: () => Promise<TargetOutcome>): Promise<TargetOutcome> {
  try {
    return await work();
  } catch (error) {
    const exitCode = (error as { exitCode?: number }).exitCode ?? 1;
    return { outcome: "failed", exitCode, message: (error as Error).message, threw: true };
  }
}

/** Resolves once every started target that is not adrift has ended (a target may go adrift while waited for). */
async function othersEnded(
  started: ReadonlyMap<string, Promise<void>>,
  adrift: ReadonlySet<string>,
  ended: ReadonlyMap<string, TargetOutcome>,
  outages: Signals,
): Promise<void> {
  for (;;) {
    const waiting = [...started].filter(([name]) => !adrift.has(name) && !ended.has(name)).map(([, run]) => run);
    if (waiting.length === 0) return;
    await Promise.race([Promise.all(waiting), outages.next()]);
  }
}

/** A signal that fires any number of times: `first` once, `next()` at the next firing. */
class Signals {
  private waiters: (() => void)[] = [];
  private resolveFirst!: () => void;
  readonly first = new Promise<void>((resolve) => (this.resolveFirst = resolve));
  fire(): void {
    this.resolveFirst();
    for (const wake of this.waiters.splice(0)) wake();
  }
  next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
