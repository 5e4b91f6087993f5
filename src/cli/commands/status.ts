// `grayctl status [--watch]`: what the rollout is doing, read from the cluster.
import { parseDuration } from "../../config/duration.ts";
import { ExitCode, UsageError } from "../../errors.ts";
import type { CommandContext } from "../context.ts";
import { hintAtTargets } from "../shared/all-targets.ts";

export interface StatusOptions {
  watch: boolean;
  interval: string;
  timeout: string;
  /** issue 22: every target of the configuration (status-all.ts). */
  all?: boolean;
}

export async function statusCommand(ctx: CommandContext, options: StatusOptions): Promise<number> {
  const intervalMs = duration("--interval", options.interval);
  const timeoutMs = duration("--timeout", options.timeout);
  if (intervalMs < 100) throw new UsageError(`--interval: ${options.interval} is below the minimum of 100ms`);
  if (options.all) {
    if (options.watch)
      throw new UsageError(
        "--watch and --all: --watch follows one cluster",
        "Use `grayctl status --watch --context NAME`.",
      );
    const { statusAllCommand } = await import("./status-all.ts");
    return statusAllCommand(ctx);
  }
  const modules = Promise.all([
    import("../shared/operate-session.ts"),
    import("../../operate/status.ts"),
    import("../../operate/render.ts"),
  ]);
  const { config } = await ctx.loadConfig();
  await hintAtTargets(ctx, "status");
  const [{ sessionFor }, { readStatus }, { renderStatus }] = await modules;
  const session = sessionFor(ctx, config);
  // --verbose also reads the pods (and the kubelet's probe Events) to say why any is not ready.
  const read = () => readStatus(session.ctx, session.lease, { explainReadiness: ctx.globals.verbose });
  const verbose = { verbose: ctx.globals.verbose };
  const show = (view: Awaited<ReturnType<typeof read>>) =>
    ctx.reporter.event("status", { ...view }, renderStatus(view, verbose));
  if (!options.watch) {
    const view = await read();
    // json: one status event and a result; text: the rendering on stdout.
    if (ctx.globals.output === "json") ctx.reporter.event("status", { ...view });
    ctx.reporter.result(
      "status",
      { app: view.app, namespace: view.namespace, phase: view.phase, orphaned: view.orphaned },
      renderStatus(view, verbose),
    );
    return ExitCode.ok;
  }
  const { watchStatus } = await import("../../operate/watch.ts");
  const watched = await watchStatus({
    read,
    onChange: show,
    clock: session.ctx.clock,
    intervalMs,
    deadline: session.ctx.clock.now() + timeoutMs,
    signal: ctx.signal,
  });
  const view = watched.last;
  const fields = {
    app: view.app,
    namespace: view.namespace,
    phase: view.phase,
    orphaned: view.orphaned,
    end: watched.end,
  };
  if (watched.end === "timeout") {
    ctx.reporter.result(
      "timeout",
      fields,
      `stopped watching after ${options.timeout}: ${view.app} is still ${view.phase}`,
    );
    return ExitCode.timeout;
  }
  const why = { ended: "the rollout ended", "not-in-flight": "no rollout in flight", interrupted: "stopped watching" }[
    watched.end
  ];
  ctx.reporter.result("status", fields, `${why}: ${view.app} is ${view.phase}`);
  return ExitCode.ok;
}

function duration(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`${flag}: "${text}" is not a duration such as 1s, 30s or 5m`);
  return ms;
}
