// `npm run test:chaos [-- --trials N] [--only crash,faults,…] [--seed S] [--cluster]`:
// the chaos campaigns of issue 11 (test/chaos/), sized for CI by default, with
// their counts printed and written to .chaos/report.json. Against the sandbox,
// or the real control plane when GRAYCTL_TEST_CLUSTER names its admin
// kubeconfig; `--cluster` starts one (as test:cluster does: root, and
// scripts/cluster-build.sh first) and stops it afterwards.
import { spawnSync } from "node:child_process";
import { runWithDeadline } from "./run-with-deadline.mjs";
import { startCluster } from "./start-cluster.mjs";

async function main() {
  const args = process.argv.slice(2);
  const wantsCluster = args.includes("--cluster");
  const forwarded = args.filter((arg) => arg !== "--cluster");
  console.log(`grayctl chaos campaigns on Node ${process.version}`);
  if (Number(process.versions.node.split(".")[0]) < 22) {
    console.error(
      "the campaigns need Node >= 22; run them through `npm run test:chaos`, which uses the pinned node@24.",
    );
    return 2;
  }
  const build = spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
  if (build.status !== 0) return build.status ?? 1;
  let kubeconfig = process.env.GRAYCTL_TEST_CLUSTER;
  let cluster;
  if (wantsCluster && !kubeconfig) {
    cluster = await startCluster();
    try {
      await cluster.ready;
    } catch (error) {
      console.error(`test:chaos: ${error.message}`);
      await cluster.stop();
      return 1;
    }
    kubeconfig = cluster.kubeconfig;
  }
  const env = { ...process.env, GRAYCTL_TEST: "1" };
  if (kubeconfig) env.GRAYCTL_TEST_CLUSTER = kubeconfig;
  const code = await runWithDeadline("test:chaos", ["test/chaos/run.ts", ...forwarded], { env, deadlineMinutes: 25 });
  await cluster?.stop();
  return code;
}

process.exitCode = await main();
