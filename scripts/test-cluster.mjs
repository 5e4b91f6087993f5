// `npm run test:cluster`: the suites that run on the sandbox, run again on the
// real control plane (kube-apiserver, etcd, controller-manager, scheduler and
// the node agent), plus the real-cluster-only suites in test/cluster. Starts
// the cluster itself (`npm run cluster`, which needs root and
// scripts/cluster-build.sh), unless GRAYCTL_TEST_CLUSTER already names the
// admin kubeconfig of a running one; stops what it started.
import { spawnSync } from "node:child_process";
import { SHARED_SUITES } from "./cluster-suites.mjs";
import { runWithDeadline } from "./run-with-deadline.mjs";
import { startCluster } from "./start-cluster.mjs";

async function main() {
  console.log(`grayctl cluster tests on Node ${process.version}`);
  const build = spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
  if (build.status !== 0) return build.status ?? 1;
  let kubeconfig = process.env.GRAYCTL_TEST_CLUSTER;
  let cluster;
  if (!kubeconfig) {
    cluster = await startCluster();
    try {
      await cluster.ready;
    } catch (error) {
      console.error(`test:cluster: ${error.message}`);
      await cluster.stop();
      return 1;
    }
    kubeconfig = cluster.kubeconfig;
  }
  const started = performance.now();
  const suites = [...SHARED_SUITES, "test/cluster/**/*.test.ts", ...process.argv.slice(2)];
  const code = await runWithDeadline(
    "test:cluster",
    ["--test", "--test-concurrency=2", "--test-timeout=300000", ...suites],
    { env: { ...process.env, GRAYCTL_TEST: "1", GRAYCTL_TEST_CLUSTER: kubeconfig }, deadlineMinutes: 40 },
  );
  console.log(`test:cluster: suites took ${((performance.now() - started) / 1000).toFixed(0)} s`);
  await cluster?.stop();
  return code;
}

process.exitCode = await main();
