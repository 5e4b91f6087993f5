// `grayctl history --all` (issue 22): each target's releases, read from its own
// cluster's state ConfigMap, grouped by target and wave. A target that does not
// answer is named as unreachable and makes the exit code 6.
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
  const modules = Promise.all([import("../shared/operate-session.ts"), import("../../operate/history-render.ts")]);
  const { config, entries } = await allTargets(ctx, "history");
  const [{ sessionFor }, { historyRow, renderHistory }] = await modules;
  const results = await eachTarget(
    ctx,
    entries,
    async ({ ctx: tctx, target }) => (await sessionFor(tctx, target.config).ctx.store.read()).history,
    { deadline: true },
  );
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
      exitCode,
    },
    results.map((result) => section(result, renderHistory)).join("\n\n"),
  );
  return exitCode;
}
