// `npm run test:cluster`: the suites that run on the sandbox, run again on the
// real control plane (kube-apiserver, etcd, controller-manager, scheduler and
// the node agent), plus the real-cluster-only suites in test/cluster. Starts
// the cluster itself (`npm run cluster`, which needs root and
// scripts/cluster-build.sh), unless GRAYCTL_TEST_CLUSTER already names the
// admin kubeconfig of a running one; stops what it started.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Sandbox suites that are the judge's business: every router, operate,
// interrupts, the pods metrics provider, API faults.
const SHARED_SUITES = [
  "rollout",
  "rollout-istio",
  "rollout-gateway-api",
  "rollout-replicas",
  "operate-rollback",
  "operate-status",
  "rollout-interrupts",
  "rollout-metrics-pods",
  "rollout-faults",
  "router-matrix",
].map((name) => `test/integration/${name}.test.ts`);

const START_DEADLINE_MS = 180_000;

/** True when a Docker Engine answers on its socket (scripts/real-parts.sh starts one). */
function dockerEngineUp() {
  return new Promise((resolve) => {
    const socket = connect("/var/run/docker.sock");
    socket.setTimeout(2000, () => socket.destroy());
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("close", () => resolve(false));
  });
}

async function startCluster() {
  const dir = mkdtempSync(join(tmpdir(), "grayctl-test-cluster-"));
  const kubeconfig = join(dir, "admin.kubeconfig");
  // Images other than sandbox.local run on the Docker Engine when scripts/real-parts.sh started one.
  const docker = (await dockerEngineUp()) ? ["--docker"] : [];
  // Its own bridge and pod range, so it can run beside a development `npm run cluster`.
  const network = ["--bridge", "grayctl-test", "--pod-cidr", "10.244.78.0/24", "--node-name", "grayctl-test-node"];
  const child = spawn(process.execPath, ["cluster/cli.ts", "--kubeconfig", kubeconfig, ...network, ...docker], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the cluster was not ready within ${START_DEADLINE_MS} ms`)),
      START_DEADLINE_MS,
    );
    let output = "";
    child.stdout.on("data", (chunk) => {
      process.stdout.write(chunk);
      output += chunk;
      if (output.includes("cluster ready in")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`npm run cluster exited with code ${code} before it was ready`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };
  return { kubeconfig, ready, stop };
}

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
