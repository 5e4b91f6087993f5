// The chaos campaigns of issue 11, run by `npm run test:chaos`
// (scripts/test-chaos.mjs builds dist/ and starts a cluster when asked). Each
// campaign runs its trials against the sandbox — or, when GRAYCTL_TEST_CLUSTER
// names a real cluster's admin kubeconfig, against the real control plane —
// prints its counts, and all of them land in one JSON report. Exit 1 when any
// campaign failed.
//   node test/chaos/run.ts [--trials N] [--only crash,faults,…] [--seed S] [--report FILE]
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import type { CampaignOptions, CampaignReport } from "./lib/trial.ts";

const CAMPAIGNS: Record<string, () => Promise<(options: CampaignOptions) => Promise<CampaignReport>>> = {
  crash: async () => (await import("./crash.ts")).crashCampaign,
  faults: async () => (await import("./faults.ts")).faultCampaign,
  blackout: async () => (await import("./faults.ts")).blackoutCampaign,
  cancel: async () => (await import("./cancel.ts")).cancelCampaign,
  concurrency: async () => (await import("./concurrency.ts")).concurrencyCampaign,
  metrics: async () => (await import("./metrics.ts")).metricsCampaign,
  secrets: async () => (await import("./secrets.ts")).secretsCampaign,
  orphan: async () => (await import("./orphan.ts")).orphanCampaign,
};

const { values } = parseArgs({
  options: {
    trials: { type: "string" },
    only: { type: "string" },
    seed: { type: "string" },
    report: { type: "string", default: ".chaos/report.json" },
  },
});
const trials = values.trials === undefined ? undefined : Number(values.trials);
if (trials !== undefined && !(Number.isInteger(trials) && trials > 0)) {
  console.error(`--trials: "${values.trials}" is not a positive whole number`);
  process.exit(2);
}
const names = values.only ? values.only.split(",").map((name) => name.trim()) : Object.keys(CAMPAIGNS);
const unknown = names.filter((name) => !(name in CAMPAIGNS));
if (unknown.length > 0) {
  console.error(`--only: no campaign ${unknown.join(", ")} (campaigns: ${Object.keys(CAMPAIGNS).join(", ")})`);
  process.exit(2);
}
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const target = process.env.GRAYCTL_TEST_CLUSTER
  ? `the real cluster (${process.env.GRAYCTL_TEST_CLUSTER})`
  : "the sandbox";
console.log(
  `chaos campaigns ${names.join(", ")} against ${target}, seed ${seed}${trials ? `, ${trials} trials each` : ""}`,
);

const startedAt = new Date().toISOString();

async function runCampaign(name: string): Promise<CampaignReport> {
  const campaign = await CAMPAIGNS[name]();
  const began = performance.now();
  let report: CampaignReport;
  try {
    report = await campaign({ trials, seed, log: (line) => console.log(`  ${line}`) });
  } catch (error) {
    report = {
      campaign: name,
      target: process.env.GRAYCTL_TEST_CLUSTER ? "cluster" : "sandbox",
      seconds: Math.round((performance.now() - began) / 1000),
      counts: {},
      failures: [`the campaign itself failed: ${(error as Error)?.stack ?? error}`],
    };
  }
  const counts = Object.entries(report.counts)
    .map(([key, value]) => `${key} ${value}`)
    .join(", ");
  console.log(`${report.failures.length === 0 ? "PASS" : "FAIL"} ${name} (${report.seconds} s): ${counts}`);
  for (const failure of report.failures.slice(0, 20)) console.log(`    ✖ ${failure}`);
  if (report.failures.length > 20) console.log(`    … and ${report.failures.length - 20} more in the report`);
  return report;
}

// The blackout spends its minute waiting for the API to come back: it runs beside the others.
const beside = names.filter((name) => name === "blackout").map(runCampaign);
const reports: CampaignReport[] = [];
for (const name of names.filter((name) => name !== "blackout")) reports.push(await runCampaign(name));
reports.push(...(await Promise.all(beside)));

await mkdir(dirname(values.report), { recursive: true });
await writeFile(
  values.report,
  `${JSON.stringify({ startedAt, seed, trials: trials ?? "default", target, campaigns: reports }, null, 2)}\n`,
);
console.log(`report: ${values.report}`);
process.exitCode = reports.every((report) => report.failures.length === 0) ? 0 : 1;
