// What a guard needs to act on a rollout without its grayctl.yaml (decision
// 041), recorded beside the plan when the rollout starts: the router and how
// it reaches the app, the Deployment's port and sizing, how the Lease is held,
// and what to do when the rollout is orphaned. No secret is part of it: the
// header pin's value stays in the environment (only its variable's name is
// recorded), and notification targets are the guard's own.
import type { Config } from "../config/schema.ts";

export interface RecordedSetup {
  deployment: Pick<Config["deployment"], "port" | "replicas" | "canaryAutoscaler">;
  traffic: Omit<Config["traffic"], "header" | "pin"> & {
    pin?: { header: string; valueFrom: { env: string } };
  };
  leaseDuration: Config["rollout"]["leaseDuration"];
  onOrphan: Config["rollout"]["onOrphan"];
}

export function setupOf(config: Config): RecordedSetup {
  const { port, replicas, canaryAutoscaler } = config.deployment;
  const { router, host, path, ingressClassName, gateway, pin } = config.traffic;
  return {
    deployment: { port, replicas, canaryAutoscaler },
    traffic: {
      router,
      path,
      ...(host !== undefined ? { host } : {}),
      ...(ingressClassName !== undefined ? { ingressClassName } : {}),
      ...(gateway !== undefined ? { gateway } : {}),
      // The variable's name, never its value.
      ...(pin ? { pin: { header: pin.header, valueFrom: { env: pin.valueFrom.env } } } : {}),
    },
    leaseDuration: config.rollout.leaseDuration,
    onOrphan: config.rollout.onOrphan,
  };
}
