// The first line of a rollout, before anything is changed: which app in which
// namespace, stable's image → the new one, the steps, the gates and how long it
// should take, so that whoever watches (a person at 3 a.m., a CI log) knows at
// once what is happening and when to worry. Pure.
import type { Config } from "../config/schema.ts";
import { formatDuration } from "../config/duration.ts";
import type { Step } from "./plan.ts";

/** An image as people read it: the repository and tag, the digest cut to 12 hex digits as docker shows it. */
export function shortImage(image: string | undefined): string {
  if (!image) return "nothing";
  return image.replace(/@sha256:([0-9a-f]{12})[0-9a-f]{52}$/, "@sha256:$1");
}

function stepText(step: Step): string {
  if (step.pause === "manual") return `${step.weight}% (pause for promote)`;
  if (typeof step.pause === "number" && step.pause > 0) return `${step.weight}% (pause ${formatDuration(step.pause)})`;
  return `${step.weight}%`;
}

/** The gates with the bounds the configuration gives them (health has none). */
export function gatesText(config: Config, gateNames: readonly string[]): string {
  const bounds = new Map<string, { min?: number; max?: number }>();
  for (const check of [...(config.analysis.metrics?.checks ?? []), ...(config.analysis.checks ?? [])])
    bounds.set(check.name, check as { min?: number; max?: number });
  const named = gateNames.map((name) => {
    const { min, max } = bounds.get(name) ?? {};
    const parts = [min !== undefined ? `≥ ${min}` : "", max !== undefined ? `≤ ${max}` : ""].filter(Boolean);
    return parts.length ? `${name} ${parts.join(" ")}` : name;
  });
  return named.length ? named.join(", ") : "none";
}

export interface Durations {
  intervalMs: number;
  scaleDownDelayMs: number;
}

/**
 * How long the steps take when every gate passes at its first look: a window
 * per step, the timed pauses, and promotion's two scale-down delays (decision
 * 016; none with the replicas router). Pods starting and manual pauses add to it.
 */
export function expectedMs(steps: readonly Step[], durations: Durations, router: string): number {
  const pauses = steps.reduce((sum, step) => sum + (typeof step.pause === "number" ? step.pause : 0), 0);
  const scaleDowns = router === "replicas" ? 0 : 2 * durations.scaleDownDelayMs;
  return steps.length * durations.intervalMs + pauses + scaleDowns;
}

export interface HeadlineInput {
  config: Config;
  steps: readonly Step[];
  durations: Durations;
  gateNames: readonly string[];
  stableImage: string | undefined;
  image: string;
  /** Set when a recorded rollout is continued: the step it continues from (0-based). */
  resumeAt?: number;
}

export function canaryHeadline(input: HeadlineInput): string {
  const { config, steps, durations } = input;
  const verb =
    input.resumeAt === undefined ? "rollout" : `resuming the rollout at step ${input.resumeAt + 1}/${steps.length}`;
  const manual = steps.some((step) => step.pause === "manual") ? " and the manual pause" : "";
  const expected = formatDuration(expectedMs(steps, durations, config.traffic.router));
  return (
    `${verb} of ${config.app} in ${config.namespace}: ${shortImage(input.stableImage)} → ${shortImage(input.image)}; ` +
    `steps ${steps.map(stepText).join(" → ")}, ${formatDuration(durations.intervalMs)} each; ` +
    `gates: ${gatesText(config, input.gateNames)}; expected ${expected} plus pod start-up${manual}`
  );
}

export function firstDeployHeadline(config: Config, image: string): string {
  return (
    `first deploy of ${config.app} in ${config.namespace}: ${shortImage(image)} straight to stable ` +
    `(${config.deployment.replicas} replicas, no canary: nothing runs yet); done when its pods are ready`
  );
}
