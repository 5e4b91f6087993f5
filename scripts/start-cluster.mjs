// Starts the real control plane for a test run (`npm run cluster`: root, and
// scripts/cluster-build.sh first) on its own bridge and pod range, so it can run
// beside a development cluster; shared by test:cluster and test:chaos, and by
// suites that need a second control plane beside the first
// (test/cluster/waves-two-clusters.test.ts): each gets its own bridge, pod
// range and node name; ports are free ports, pods' network namespaces carry
// the bridge's name, Docker containers the node's.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../cluster/cli.ts", import.meta.url));
const REPO = fileURLToPath(new URL("..", import.meta.url));

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

/**
 * The test run's cluster by default; `network` names another bridge, pod range
 * and node name for a second one beside it. Returns its admin kubeconfig, a
 * promise of readiness, the PID of `npm run cluster` (the whole control plane
 * stops with it) and stop().
 */
export async function startCluster(
  network = { bridge: "grayctl-test", podCidr: "10.244.128.0/17", nodeName: "grayctl-test-node" },
  options = {},
) {
  const log = options.log ?? ((chunk) => process.stdout.write(chunk));
  const dir = mkdtempSync(join(tmpdir(), "grayctl-test-cluster-"));
  const kubeconfig = join(dir, "admin.kubeconfig");
  // Images other than sandbox.local run on the Docker Engine when scripts/real-parts.sh started one.
  const docker = (await dockerEngineUp()) ? ["--docker"] : [];
  // Its own bridge and pod range, so it can run beside a development `npm run cluster`.
  // A /17: a suite creates a few hundred pods, and an address handed out again
  // (after a /24's 253) met pooled keep-alive connections of the front door to
  // the pod that had it before: 502s (seen once in CI).
  const args = ["--bridge", network.bridge, "--pod-cidr", network.podCidr, "--node-name", network.nodeName];
  const child = spawn(process.execPath, [CLI, "--kubeconfig", kubeconfig, ...args, ...docker], {
    cwd: REPO,
    // With `log`, its diagnostics too (a second cluster's shutdown is part of a test, not news).
    stdio: ["ignore", "pipe", options.log ? "pipe" : "inherit"],
  });
  child.stderr?.on("data", (chunk) => log(chunk));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the cluster was not ready within ${START_DEADLINE_MS} ms`)),
      START_DEADLINE_MS,
    );
    let output = "";
    child.stdout.on("data", (chunk) => {
      log(chunk);
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
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { kubeconfig, ready, pid: child.pid, stop };
}
