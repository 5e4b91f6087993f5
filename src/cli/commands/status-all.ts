// `grayctl status --all` (issue 22): every target's status at once, each read
// from its own cluster with its own configuration, grouped by target and wave.
// A target whose API does not answer within the deadline is shown as
// unreachable, by name, and makes the exit code 6 (a target that failed otherwise:
// its own exit code, as for one cluster); the others are shown as usual.
import type { StatusView } from "../../operate/status.ts";
import type { CommandContext } from "../context.ts";
import {
  allTargets,
  eachTarget,
  failedFields,
  failedNames,
  firstFailure,
  reportFailed,
  section,
  type TargetResult,
} from "../shared/all-targets.ts";
import type { ReleaseView } from "../shared/release-record.ts";

export async function statusAllCommand(ctx: CommandContext): Promise<number> {
  const modules = Promise.all([
    import("../shared/operate-session.ts"),
    import("../../operate/status.ts"),
    import("../../operate/render.ts"),
    import("../shared/release-record.ts"),
  ]);
  const { config, entries } = await allTargets(ctx, "status");
  const [{ sessionFor }, { readStatus }, { renderStatus }, { readReleaseOf, describeRelease }] = await modules;
  const verbose = ctx.globals.verbose;
  const [results, release] = await Promise.all([
    eachTarget(
      ctx,
      entries,
      async ({ ctx: tctx, target }) => {
        const session = sessionFor(tctx, target.config);
        return readStatus(session.ctx, session.lease, { explainReadiness: verbose });
      },
      { deadline: true },
    ),
    // The release as a whole, from its record (decision 051), under the same deadline as a target.
    readReleaseOf(ctx, config, entries),
  ]);
  const waves = config.waves?.length ?? 0;
  // Said on stderr too: the targets' own status is complete, but the release as a whole is not known.
  if (!release.ok)
    ctx.reporter.warn(
      `the release record could not be read in target ${release.entry.target.name}: ${release.message}`,
    );
  const heading = release.ok
    ? describeRelease(release.value, config.app, waves)
    : `${config.app}: ${entries.length} targets in ${waves} waves; the release record could not be read in target ${release.entry.target.name}: ${release.message}`;
  // json: one status event per target (it carries `target`, as every line of a target does), then one result.
  for (const result of results) {
    if (!result.ok) reportFailed(result);
    else if (ctx.globals.output === "json")
      result.entry.ctx.reporter.event("status", { ...result.value, wave: result.entry.wave });
  }
  const exitCode = firstFailure(results);
  ctx.reporter.result(
    "status",
    {
      app: config.app,
      release: release.ok ? releaseFields(release.value) : { error: release.message },
      targets: Object.fromEntries(results.map((result) => [result.entry.target.name, targetFields(result)])),
      ...failedNames(results),
      exitCode,
    },
    [heading, ...results.map((result) => section(result, (view) => renderStatus(view, { verbose })))].join("\n\n"),
  );
  return exitCode;
}

function releaseFields({ record, heldBy, target }: ReleaseView) {
  if (!record) return { recordIn: target };
  const { id, image, status, wave, startedAt, endedAt, message } = record;
  return { recordIn: target, id, image, status, wave, startedAt, endedAt, message, heldBy, targets: record.targets };
}

function targetFields(result: TargetResult<StatusView>) {
  if (!result.ok) return failedFields(result);
  const view = result.value;
  return {
    wave: result.entry.wave,
    namespace: view.namespace,
    phase: view.phase,
    revision: view.revision,
    image: view.image,
    canaryWeight: view.canaryWeight,
    orphaned: view.orphaned,
  };
}
