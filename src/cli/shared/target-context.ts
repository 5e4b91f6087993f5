// The command context of one target of a configuration with `targets` (issue 22):
// the command's own context pointed at the target's kubeconfig context or file,
// with the target's configuration (its `set:` overrides and namespace) and a
// reporter that prefixes its lines. `rollout` (waves) and the `--all` forms of
// status, rollback and history all act on a target through this one seam, so a
// target means the same cluster and configuration to every command.
import type { ResolvedTarget } from "../../config/targets.ts";
import type { CommandContext } from "../context.ts";
import { targetReporter } from "./target-reporter.ts";

export function targetContext(
  ctx: CommandContext,
  target: ResolvedTarget,
  signal: AbortSignal = ctx.signal,
): CommandContext {
  const loaded = ctx.loadConfig();
  return {
    ...ctx,
    globals: {
      ...ctx.globals,
      context: target.context ?? ctx.globals.context,
      kubeconfig: target.kubeconfig ?? ctx.globals.kubeconfig,
    },
    reporter: targetReporter(ctx.reporter, target.name),
    signal,
    loadConfig: async () => ({ ...(await loaded), config: target.config }),
  };
}
