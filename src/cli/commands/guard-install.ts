// `grayctl guard install [--schedule CRON] [--image REF] [--apply]`: prints the
// guard's objects for the namespace (YAML, ready for `kubectl apply -f -`), or
// with --apply creates or replaces them.
import { UsageError } from "../../errors.ts";
import type { CommandContext } from "../context.ts";

export interface GuardInstallOptions {
  schedule: string;
  image: string;
  apply: boolean;
  dryRun: boolean;
}

const CRON = /^(\S+\s+){4}\S+$/;

export async function guardInstallCommand(ctx: CommandContext, options: GuardInstallOptions): Promise<number> {
  if (!CRON.test(options.schedule.trim()))
    throw new UsageError(`--schedule: "${options.schedule}" is not a cron schedule of five fields, e.g. "*/1 * * * *"`);
  if (options.image.trim() === "" || /\s/.test(options.image))
    throw new UsageError(`--image: "${options.image}" is not an image reference`);
  if (options.apply && options.dryRun) throw new UsageError("--apply and --dry-run: choose one");
  const [{ guardObjects }, { stringify }] = await Promise.all([
    import("../../operate/guard-objects.ts"),
    import("yaml"),
  ]);
  const install = { schedule: options.schedule.trim(), image: options.image };
  if (!options.apply) {
    // Without -n the objects name no namespace: `kubectl -n NS apply -f -` places them (templates/guard.yaml).
    const objects = guardObjects({ ...install, namespace: ctx.globals.namespace });
    const yaml = objects.map((object) => stringify(object)).join("---\n");
    ctx.reporter.result("guard-objects", { namespace: ctx.globals.namespace, yaml }, yaml.trimEnd());
    return 0;
  }
  const { applyGuardObjects } = await import("../shared/guard-apply.ts");
  return applyGuardObjects(ctx, install);
}
