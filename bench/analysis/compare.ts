// Runs every rule on every scenario's trials and reduces them to the figures
// bench/results.json keeps under analysis.rules[]: falseRollbackRate (good
// canaries), detectMedianS / detectP95S (bad canaries: seconds from the start
// of the rollout to the look that rolled back) and badRequestsMedian (failed
// canary requests served up to that look; for a latency regression, every
// canary request served, since each was slower). A bad canary a rule never
// rolls back counts as detected at +Infinity: a median or p95 that lands
// there is reported as null (missed).
import { seededRandom } from "../../src/analysis/random.ts";
import { type Rule, rules as allRules } from "./rules.ts";
import { type Look, type Scenario, scenarios as allScenarios, trafficOf } from "./traffic.ts";

export interface RuleRow {
  name: string;
  scenario: string;
  falseRollbackRate: number | null;
  detectMedianS: number | null;
  detectP95S: number | null;
  badRequestsMedian: number | null;
}
export interface RuleDetail {
  name: string;
  scenario: string;
  trials: number;
  rollbackRate: number;
}

const MAX_LOOKS = 60; // flagger's held weight can stretch a rollout to 9 checks: 54 looks

function percentile(sorted: number[], q: number): number | null {
  const value = sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return Number.isFinite(value) ? value : null;
}

export function compare(options: {
  trials: (scenario: Scenario) => number;
  seed: number;
  rules?: Rule[];
  scenarios?: Scenario[];
  progress?: (line: string) => void;
}): { rows: RuleRow[]; details: RuleDetail[] } {
  const rules = options.rules ?? allRules;
  const rows: RuleRow[] = [];
  const details: RuleDetail[] = [];
  for (const [s, scenario] of (options.scenarios ?? allScenarios).entries()) {
    const trials = options.trials(scenario);
    const random = seededRandom(options.seed + s);
    const detect = rules.map(() => [] as number[]);
    const bad = rules.map(() => [] as number[]);
    const rollbacks = rules.map(() => 0);
    const latency = scenario.canaryLatencyScale !== 1;
    for (let trial = 0; trial < trials; trial++) {
      const traffic = trafficOf(scenario, random);
      const runs = rules.map((rule) => rule.start());
      const done = rules.map(() => false);
      let open = rules.length;
      let served = 0;
      for (let index = 0; index < MAX_LOOKS && open > 0; index++) {
        const look: Look = traffic(index);
        served += latency ? look.canary.requests : look.canary.errors;
        for (let r = 0; r < rules.length; r++) {
          if (done[r]) continue;
          const action = runs[r](look, index);
          if (action === "continue") continue;
          done[r] = true;
          open--;
          if (action === "rollback") {
            rollbacks[r]++;
            detect[r].push(look.t);
            bad[r].push(served);
          }
        }
      }
    }
    for (let r = 0; r < rules.length; r++) {
      const missed = trials - detect[r].length;
      const times = [...detect[r], ...Array(missed).fill(Number.POSITIVE_INFINITY)].sort((a, b) => a - b);
      const served = [...bad[r], ...Array(missed).fill(Number.POSITIVE_INFINITY)].sort((a, b) => a - b);
      const good = scenario.kind === "good";
      rows.push({
        name: rules[r].name,
        scenario: scenario.name,
        falseRollbackRate: good ? rollbacks[r] / trials : null,
        detectMedianS: good ? null : percentile(times, 0.5),
        detectP95S: good ? null : percentile(times, 0.95),
        badRequestsMedian: good ? null : percentile(served, 0.5),
      });
      details.push({ name: rules[r].name, scenario: scenario.name, trials, rollbackRate: rollbacks[r] / trials });
      options.progress?.(
        `${scenario.name.padEnd(15)} ${rules[r].name.padEnd(15)} trials ${String(trials).padStart(6)}  rollbacks ${((100 * rollbacks[r]) / trials).toFixed(3).padStart(8)} %  median ${percentile(times, 0.5)} s  p95 ${percentile(times, 0.95)} s  bad ${percentile(served, 0.5)}`,
      );
    }
  }
  return { rows, details };
}
