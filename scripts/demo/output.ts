// What the demo says: in text, a few lines around grayctl's own progress and a
// closing table; with --output json, one JSON object per line (grayctl's events
// passed through as they come), the last line the result of every rollout.
import { colorLevel, makeChalk } from "../../src/output/colors.ts";
import type { LoadTally } from "../../sandbox/traffic/paced-load.ts";

/** One demo rollout as it ended, with what its users saw. */
export interface RolloutResult {
  version: string;
  image: string;
  expected: string;
  outcome: string;
  reason?: string;
  exitCode: number | null;
  revision?: number;
  users: Pick<LoadTally, "sent" | "versions" | "appErrors" | "routingErrors" | "failed">;
}

export interface DemoOutput {
  json: boolean;
  say(event: string, message: string, fields?: Record<string, unknown>): void;
  /** A line of grayctl's stdout (json mode only). */
  forward(line: string): void;
  rolloutDone(result: RolloutResult): void;
  finish(results: RolloutResult[], durationMs: number, interrupted: boolean): void;
}

const print = (line: string) => process.stdout.write(`${line}\n`);
const event = (type: string, fields: Record<string, unknown>) =>
  print(JSON.stringify({ type, time: new Date().toISOString(), ...fields }));

function users(result: RolloutResult): string {
  const { users: seen } = result;
  const versions = Object.entries(seen.versions)
    .map(([version, count]) => `${version} ${count}`)
    .join(", ");
  return `users sent ${seen.sent} requests (answered by ${versions || "nobody"}); 5xx from the app ${seen.appErrors}, 5xx with no pod to answer ${seen.routingErrors}, connection failures ${seen.failed}`;
}

export function demoOutput(format: "text" | "json"): DemoOutput {
  if (format === "json") {
    return {
      json: true,
      say: (name, message, fields) => event("demo", { event: name, message, ...fields }),
      forward: print,
      rolloutDone: (result) => event("demo-rollout", { ...result }),
      finish: (results, durationMs, interrupted) =>
        event("demo-result", {
          ok: !interrupted && results.length > 0 && results.every((r) => r.outcome === r.expected),
          interrupted,
          durationMs: Math.round(durationMs),
          rollouts: results,
        }),
    };
  }
  const color = makeChalk(colorLevel(process.env, process.stdout.isTTY ?? false));
  return {
    json: false,
    say: (_name, message) => print(color.bold(`\n==> ${message}`)),
    forward: print,
    rolloutDone: (result) => {
      const as = result.outcome === result.expected ? color.green : color.red;
      print(as(`${result.version}: ${result.outcome}${result.reason ? ` (${result.reason})` : ""}`));
      print(`    ${users(result)}`);
    },
    finish: (results, durationMs, interrupted) => {
      print(color.bold(`\n==> ${interrupted ? "interrupted after" : "done in"} ${(durationMs / 1000).toFixed(1)} s`));
      for (const r of results)
        print(`    ${r.version.padEnd(3)} ${r.outcome.padEnd(12)} expected ${r.expected}, grayctl exit ${r.exitCode}`);
      print("    everything the demo started is stopped; the manual walk-through is in the README's quick start");
    },
  };
}
