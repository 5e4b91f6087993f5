// `npm run test:cluster`: the suites that run on the sandbox, run again on the
// real control plane (kube-apiserver, etcd, controller-manager, scheduler and
// the node agent), plus the real-cluster-only suites in test/cluster. Starts
// the cluster itself (`npm run cluster`, which needs root and
// scripts/cluster-build.sh), unless GRAYCTL_TEST_CLUSTER already names the
// admin kubeconfig of a running one; stops what it started.
import { spawn, spawnSync } from "node:child_process";
import { startCluster } from "./start-cluster.mjs";

// Sandbox suites that are the judge's business: every router, operate,
// interrupts, the pods metrics provider, API faults, autoscaled and changed
// Deployments, a lagging router.
const SHARED_SUITES = [
  "rollout",
  "rollout-istio",
  "rollout-gateway-api",
  "rollout-replicas",
  "operate-rollback",
  "operate-rollback-takeover",
  "operate-status",
  "rollout-interrupts",
  "rollout-metrics-pods",
  "gates-command-web",
  "rollout-faults",
  "router-matrix",
  "ci-github",
  "ci-gitlab",
  "rollout-autoscaler",
  "rollout-manifest-drift",
  "rollout-scale-down-delay",
  "operate-state-validation",
  "operate-rollback-edges",
  "plan",
  "rollout-hooks",
  "router-nginx-shared-ingress",
  "rollout-adoption",
  "rollout-template-release",
  // Header pinning closed by default (issue 23): the real API server validates the pin routes.
  "router-pinning",
  // Secrets: the markers searched in the real API server's Events and state ConfigMap too (decision 037).
  "secrets-audit",
  "operate-recorded-plan",
  // What a rollout says, with pods the real scheduler cannot place and the node cannot pull (issue 19.7).
  "rollout-output",
  // The guard (issue 20): every pass as the ServiceAccount of the Role `grayctl guard install` writes.
  "guard",
]
  .map((name) => `test/integration/${name}.test.ts`)
  // A router that applies weights late, through the real nginx under load (issue 12).
  .concat("test/real/rollout-router-lag.test.ts");

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
  const tests = spawn(process.execPath, ["--test", "--test-concurrency=2", "--test-timeout=300000", ...suites], {
    stdio: "inherit",
    env: { ...process.env, GRAYCTL_TEST: "1", GRAYCTL_TEST_CLUSTER: kubeconfig },
  });
  const stopTests = () => tests.kill("SIGTERM");
  process.on("SIGINT", stopTests);
  process.on("SIGTERM", stopTests);
  const code = await new Promise((resolve) => tests.once("exit", (c) => resolve(c ?? 1)));
  console.log(`test:cluster: suites took ${((performance.now() - started) / 1000).toFixed(0)} s`);
  await cluster?.stop();
  return code;
}

process.exitCode = await main();
