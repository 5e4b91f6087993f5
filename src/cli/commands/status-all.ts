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

export async function statusAllCommand(ctx: CommandContext): Promise<number> {
  const modules = Promise.all([
    import("../shared/operate-session.ts"),
    import("../../operate/status.ts"),
    import("../../operate/render.ts"),
  ]);
  const { config, entries } = await allTargets(ctx, "status");
  const [{ sessionFor }, { readStatus }, { renderStatus }] = await modules;
  const verbose = ctx.globals.verbose;
  const results = await eachTarget(
    ctx,
    entries,
    async ({ ctx: tctx, target }) => {
      const session = sessionFor(tctx, target.config);
      return readStatus(session.ctx, session.lease, { explainReadiness: verbose });
    },
    { deadline: true },
  );
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
      targets: Object.fromEntries(results.map((result) => [result.entry.target.name, targetFields(result)])),
      ...failedNames(results),
      exitCode,
    },
    [
      releaseHeading(config.app, entries.length, config.waves?.length ?? 0),
      ...results.map((result) => section(result, (view) => renderStatus(view, { verbose }))),
    ].join("\n\n"),
  );
  return exitCode;
}

/**
 * The first line of the text. The release record (src/waves/record.ts) adds here which wave the last release
 * reached with which revision; until then this says what the configuration holds.
 */
function releaseHeading(app: string, targets: number, waves: number): string {
  return `${app}: ${targets} target${targets === 1 ? "" : "s"} in ${waves} wave${waves === 1 ? "" : "s"}`;
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
