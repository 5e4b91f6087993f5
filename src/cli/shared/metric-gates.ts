// Metric gates from analysis.metrics (none when the section is absent).
import type { Gate } from "../../analysis/types.ts";
import type { Config } from "../../config/schema.ts";
import type { Cluster } from "../../kube/cluster.ts";
import type { Reporter } from "../../output/types.ts";
import type { Clock } from "../../rollout/clock.ts";

export async function metricGates(config: Config, _cluster: Cluster, _clock: Clock, _reporter: Reporter): Promise<Gate[]> {
  if (!config.analysis.metrics) return [];
  return [];
}
