// What the guard knows of an app without its grayctl.yaml: the namespace it
// watches (the flag, else the kubeconfig's or the in-cluster one) and the
// configuration a continuation runs with, rebuilt from the rollout's record
// (plan and setup, decision 041). Shared by the guard command and its pass.
import { type Config, configSchema } from "../../config/schema.ts";
import type { RolloutState } from "../../model/state.ts";
import type { CommandContext } from "../context.ts";

export async function namespaceOf(ctx: CommandContext): Promise<string> {
  if (ctx.globals.namespace) return ctx.globals.namespace;
  const [{ contextNamespace }, { serviceAccountDirFor }] = await Promise.all([
    import("../../kube/kubeconfig.ts"),
    import("../shared/test-hooks.ts"),
  ]);
  return (
    contextNamespace({
      kubeconfig: ctx.globals.kubeconfig,
      context: ctx.globals.context,
      env: ctx.env,
      serviceAccountDir: serviceAccountDirFor(ctx.env),
    }) ?? "default"
  );
}

/**
 * The configuration a continuation of this rollout would run with, from its record alone:
 * undefined for a record of an older grayctl that holds no plan or setup.
 */
export function configFromRecord(
  app: string,
  namespace: string,
  state: RolloutState,
  env: Record<string, string | undefined>,
  targets: string[],
  withPlan: (config: Config, plan: NonNullable<RolloutState["plan"]>) => Config,
): Config | undefined {
  const { setup, plan } = state;
  if (!setup || !plan) return undefined;
  const base = configSchema.parse({
    app,
    namespace,
    deployment: setup.deployment,
    traffic: setup.traffic,
    rollout: { leaseDuration: setup.leaseDuration, onOrphan: setup.onOrphan },
    notify: targets.map((url) => ({ url })),
  }) as Config;
  // The guard's own targets hear of what it did too (events no grayctl.yaml can list).
  const orphanEvents = ["orphan-rolled-back", "orphan-resumed", "orphan-held"];
  base.notify = base.notify.map((target) => ({ ...target, events: [...target.events, ...orphanEvents] as never }));
  const pin = base.traffic.pin;
  if (pin) {
    const value = env[pin.valueFrom.env];
    if (value) base.traffic.pin = { ...pin, value };
  }
  return withPlan(base, plan);
}
