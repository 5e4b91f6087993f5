// The orphan chaos campaign (test/chaos/orphan.ts, issue 20) in small, on the
// real control plane in every `npm run test:cluster`: three trials — two
// rollouts SIGKILLed at a random moment, one SIGSTOPped past its Lease and woken
// after the guard's pass — each followed by one `grayctl guard` pass as the
// ServiceAccount of the Role `guard install` writes, judged by what the API
// server holds: no canary left with traffic and no owner, no write after lost
// ownership. About a minute; `npm run test:chaos -- --only orphan --trials N`
// runs more. The guard as a CronJob's pod is test/cluster/guard-cronjob.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { orphanCampaign } from "../chaos/orphan.ts";
import { clusterKubeconfig } from "../helpers/cluster-sandbox.ts";

test("orphan campaign, 3 trials on the real control plane: every orphan cleaned by one guard pass, no write after lost ownership", async () => {
  if (!clusterKubeconfig())
    throw new Error("GRAYCTL_TEST_CLUSTER is not set: run these through `npm run test:cluster`");
  // A seed per run, printed: a failure is repeated with `npm run test:chaos -- --only orphan --seed S`.
  const seed = Math.floor(Math.random() * 2 ** 31);
  const lines: string[] = [];
  const report = await orphanCampaign({ trials: 3, seed, log: (line) => lines.push(line) });
  console.log(`orphan campaign, seed ${seed}:\n${lines.join("\n")}`);
  assert.equal(report.target, "cluster");
  assert.deepEqual(report.failures, [], lines.join("\n"));
  assert.equal(report.counts.trials, 3);
  assert.equal(report.counts["clean after the guard"], 3, JSON.stringify(report.counts));
  assert.equal(report.counts["canaries left unowned"] ?? 0, 0);
  assert.equal(report.counts["writes after lost ownership"] ?? 0, 0);
  assert.equal(report.counts["invariant violations"] ?? 0, 0);
});
