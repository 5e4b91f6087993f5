// Which plan a command acting on the recorded rollout follows (decision 025).
import type { Config } from "../config/schema.ts";
import { planDifferences, planOf, withPlan } from "./plan.ts";
import { IN_FLIGHT, type RolloutState } from "./state.ts";

/**
 * The configuration that whoever acts on the recorded rollout follows: its
 * recorded plan while it is in flight, with a warning naming what the
 * configuration changed (that applies to the next rollout only). A record
 * from a grayctl that recorded no plan continues with the configuration, said
 * in a warning; the steps still never take traffic back (rollout/plan.ts).
 * `uses` narrows the warning to the fields the command acts on: a rollback
 * follows only the recorded deadlines, and an edited step list is noise to
 * whoever ends the rollout in an incident.
 */
export function followRecordedPlan(
  config: Config,
  state: RolloutState | undefined,
  warn: (text: string) => void,
  uses?: readonly string[],
): Config {
  if (!state || !IN_FLIGHT.has(state.phase)) return config;
  const rollout = `the rollout of ${state.image} (revision ${state.revision})`;
  if (!state.plan) {
    if (uses) return config;
    warn(
      `${rollout} was recorded without its plan (started by an older grayctl): it continues with the configured steps and gates`,
    );
    return config;
  }
  const differences = planDifferences(state.plan, planOf(config)).filter(
    (difference) => !uses || uses.some((field) => difference === field || difference.startsWith(`${field} `)),
  );
  if (differences.length > 0) {
    warn(
      `the configuration differs from the plan recorded when ${rollout} started: ${differences.join("; ")}. This rollout keeps its recorded plan; the change applies to the next rollout only`,
    );
  }
  return withPlan(config, state.plan);
}
