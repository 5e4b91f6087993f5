// `npm run bench -- --only analysis`: the decision rules side by side on the
// same seeded traffic (bench/analysis/traffic.ts, rules.ts). Good canaries get
// 100,000 rollouts each (false rollbacks are rare events), bad ones 10,000
// (medians and 95th percentiles). Returns what bench/results.json keeps under
// "analysis"; prints the table docs/analysis.md quotes.
import { compare, type RuleRow } from "./compare.ts";
import { CANARY_SHARE, LOOK_SECONDS, STEP_SECONDS, STEPS } from "./traffic.ts";

export const ANALYSIS_SEED = 20261207;

export function analysisBench(options: { quick?: boolean; log?: (line: string) => void } = {}) {
  const log = options.log ?? console.log;
  const trials = options.quick ? { good: 5_000, bad: 1_000 } : { good: 100_000, bad: 10_000 };
  const started = Date.now();
  const { rows, details } = compare({
    trials: (scenario) => (scenario.kind === "good" ? trials.good : trials.bad),
    seed: ANALYSIS_SEED,
    progress: log,
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  log(`\n${markdownRows(rows)}\n`);
  return {
    date: new Date().toISOString(),
    seed: ANALYSIS_SEED,
    trials,
    seconds,
    setup: {
      canaryShare: CANARY_SHARE,
      steps: STEPS,
      stepSeconds: STEP_SECONDS,
      lookSeconds: LOOK_SECONDS,
      stableErrorRate: 0.01,
      errorMax: 0.01,
      latencyMaxSeconds: 0.5,
    },
    rules: rows,
    details,
  };
}

const pct = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(x < 0.001 && x > 0 ? 3 : 2)} %`);
const secs = (x: number | null, good: boolean) => (good ? "" : x === null ? "missed" : `${x} s`);

/** One table row per scenario, one column group per rule. */
export function markdownRows(rows: RuleRow[]): string {
  const names = [...new Set(rows.map((r) => r.name))];
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  const lines = [`| scenario | ${names.join(" | ")} |`, `|---|${names.map(() => "---").join("|")}|`];
  for (const scenario of scenarios) {
    const cells = names.map((name) => {
      const row = rows.find((r) => r.name === name && r.scenario === scenario)!;
      if (row.falseRollbackRate !== null) return pct(row.falseRollbackRate);
      const bad = row.badRequestsMedian === null ? "" : ` · ${row.badRequestsMedian}`;
      return `${secs(row.detectMedianS, false)} / ${secs(row.detectP95S, false)}${bad}`;
    });
    lines.push(`| ${scenario} | ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}
