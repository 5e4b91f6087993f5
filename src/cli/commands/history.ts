// `grayctl history`: the releases recorded in the app's state ConfigMap.
import { ExitCode } from "../../errors.ts";
import type { CommandContext } from "../context.ts";
import { hintAtTargets } from "../shared/all-targets.ts";

export async function historyCommand(ctx: CommandContext, options: { all?: boolean } = {}): Promise<number> {
  if (options.all) {
    const { historyAllCommand } = await import("./history-all.ts");
    return historyAllCommand(ctx);
  }
  const modules = Promise.all([import("../shared/operate-session.ts"), import("../../operate/history-render.ts")]);
  const { config } = await ctx.loadConfig();
  await hintAtTargets(ctx, "history");
  const [{ sessionFor }, { historyRow, renderHistory }] = await modules;
  const { history } = await sessionFor(ctx, config).ctx.store.read();
  if (ctx.globals.output === "json") for (const release of history) ctx.reporter.event("release", historyRow(release));
  ctx.reporter.result(
    "history",
    { app: config.app, namespace: config.namespace, releases: history.length },
    renderHistory(history),
  );
  return ExitCode.ok;
}
