import { requirePinValue } from "../../config/load.ts";
import { ExitCode } from "../../errors.ts";
import type { CommandContext } from "../context.ts";

export async function validateCommand(ctx: CommandContext): Promise<number> {
  const { config, file } = await ctx.loadConfig();
  requirePinValue(config);
  const steps = config.rollout.steps.map((step) => (typeof step === "number" ? step : step.weight)).join(" → ");
  ctx.reporter.result(
    "valid",
    { file, app: config.app, namespace: config.namespace, router: config.traffic.router, steps: config.rollout.steps },
    `${file} is valid: app ${config.app} in ${config.namespace}, router ${config.traffic.router}, steps ${steps}`,
  );
  return ExitCode.ok;
}
