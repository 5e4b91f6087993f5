// What command and web gates know of the step they judge: the environment a
// gate command runs with, and the variables a web gate's URL and body may use.
import { promDuration, podsRegex } from "./promql.ts";
import type { GateContext } from "./types.ts";

/** In-cluster address of a track's Service (port 80, see rollout/manifests.ts trackService). */
export function serviceUrl(ctx: GateContext, track: "canary" | "stable"): string {
  return `http://${ctx.app}-${track}.${ctx.namespace}.svc:80`;
}

/** The environment of a gate command (added to grayctl's own). */
export function gateEnvironment(ctx: GateContext): Record<string, string> {
  return {
    GRAYCTL_APP: ctx.app,
    GRAYCTL_NAMESPACE: ctx.namespace,
    GRAYCTL_STEP: String(ctx.step + 1),
    GRAYCTL_WEIGHT: String(ctx.weight),
    GRAYCTL_IMAGE: ctx.image ?? "",
    GRAYCTL_CANARY_URL: serviceUrl(ctx, "canary"),
    GRAYCTL_STABLE_URL: serviceUrl(ctx, "stable"),
    GRAYCTL_WINDOW_START: ctx.windowStart.toISOString(),
    GRAYCTL_WINDOW_END: ctx.windowEnd.toISOString(),
  };
}

/** Template variables of a web gate: PromQL's (promql.ts) plus the step, the image and the window's ends. */
export function webVariables(ctx: GateContext, track: "canary" | "stable", intervalMs: number): Record<string, string> {
  const windowMs = Math.max(1000, ctx.windowEnd.getTime() - ctx.windowStart.getTime());
  const pods = (track === "canary" ? ctx.canaryPods : ctx.stablePods).map((pod) => pod.name);
  return {
    app: ctx.app,
    namespace: ctx.namespace,
    track,
    pods: podsRegex(pods),
    interval: promDuration(intervalMs),
    window: promDuration(windowMs),
    windowSeconds: String(Math.round(windowMs / 1000)),
    step: String(ctx.step + 1),
    weight: String(ctx.weight),
    image: ctx.image ?? "",
    start: String(Math.floor(ctx.windowStart.getTime() / 1000)),
    end: String(Math.floor(ctx.windowEnd.getTime() / 1000)),
    startMs: String(ctx.windowStart.getTime()),
    endMs: String(ctx.windowEnd.getTime()),
    canaryUrl: serviceUrl(ctx, "canary"),
    stableUrl: serviceUrl(ctx, "stable"),
  };
}
