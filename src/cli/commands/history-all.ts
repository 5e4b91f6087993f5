// `grayctl history --all` (issue 22): each target's releases, read from its own
// cluster's state ConfigMap, grouped by target and wave. A target that does not
// answer is named as unreachable and makes the exit code 6.
import type { ReleaseSummary } from "../../waves/record.ts";
import type { CommandContext } from "../context.ts";
import {
  allTargets,
  eachTarget,
  failedFields,
  failedNames,
  firstFailure,
  reportFailed,
  section,
} from "../shared/all-targets.ts";

export async function historyAllCommand(ctx: CommandContext): Promise<number> {
  const modules = Promise.all([
    import("../shared/operate-session.ts"),
    import("../../operate/history-render.ts"),
    import("../shared/release-record.ts"),
  ]);
  const { config, entries } = await allTargets(ctx, "history");
  const [{ sessionFor }, { historyRow, renderHistory }, { readReleaseOf }] = await modules;
  const [results, release] = await Promise.all([
    eachTarget(
      ctx,
      entries,
      async ({ ctx: tctx, target }) => (await sessionFor(tctx, target.config).ctx.store.read()).history,
      { deadline: true },
    ),
    // The releases across the targets, newest first, from the release record (decision 051).
    readReleaseOf(ctx, config, entries),
  ]);
  const releases = release.ok && release.value.record ? [release.value.record, ...release.value.record.previous] : [];
  const waves = config.waves?.length ?? 0;
  for (const result of results) {
    const { reporter } = result.entry.ctx;
    if (!result.ok) reportFailed(result);
    else if (ctx.globals.output === "json")
      for (const release of result.value)
        reporter.event("release", { ...historyRow(release), wave: result.entry.wave });
  }
  const exitCode = firstFailure(results);
  ctx.reporter.result(
    "history",
    {
      app: config.app,
      targets: Object.fromEntries(
        results.map((result) => [
          result.entry.target.name,
          result.ok
            ? {
                wave: result.entry.wave,
                namespace: result.entry.target.config.namespace,
                releases: result.value.length,
              }
            : failedFields(result),
        ]),
      ),
      ...failedNames(results),
      releases: releases.map(({ id, image, status, wave, startedAt, endedAt, actor, message }) => ({
        id,
        image,
        status,
        wave,
        startedAt,
        endedAt,
        actor,
        message,
      })),
      exitCode,
    },
    [
      release.ok
        ? releasesText(releases, waves, release.value.target)
        : `the release record could not be read in target ${release.entry.target.name}: ${release.message}`,
      ...results.map((result) => section(result, renderHistory)),
    ].join("\n\n"),
  );
  return exitCode;
}

/** The releases across the targets, one line each, newest first. */
function releasesText(releases: ReleaseSummary[], waves: number, recordIn: string): string {
  if (releases.length === 0) return `no release across the targets recorded yet (record in target ${recordIn})`;
  const lines = releases.map(
    (release) =>
      `  ${release.id}  ${release.status.padEnd(11)} wave ${release.wave}/${waves}  ${release.image}  by ${release.actor}`,
  );
  return [`releases across the targets (newest first; record in target ${recordIn}):`, ...lines].join("\n");
}
