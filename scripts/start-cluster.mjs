// Starts the real control plane for a test run (`npm run cluster`: root, and
// scripts/cluster-build.sh first) on its own bridge and pod range, so it can run
// beside a development cluster; shared by test:cluster and test:chaos.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

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

export async function startCluster() {
  const dir = mkdtempSync(join(tmpdir(), "grayctl-test-cluster-"));
  const kubeconfig = join(dir, "admin.kubeconfig");
  // Images other than sandbox.local run on the Docker Engine when scripts/real-parts.sh started one.
  const docker = (await dockerEngineUp()) ? ["--docker"] : [];
  // Its own bridge and pod range, so it can run beside a development `npm run cluster`.
  // A /17: a suite creates a few hundred pods, and an address handed out again
  // (after a /24's 253) met pooled keep-alive connections of the front door to
  // the pod that had it before: 502s (seen once in CI).
  const network = ["--bridge", "grayctl-test", "--pod-cidr", "10.244.128.0/17", "--node-name", "grayctl-test-node"];
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
