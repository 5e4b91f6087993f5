// `npm run cluster -- --kubeconfig FILE`: the real control plane in the
// foreground until SIGINT/SIGTERM — etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler (from .cluster-bin/grayctl-cluster, see scripts/cluster-build.sh),
// the official CRDs, and the node agent that runs pods in network namespaces.
// It stops everything it started, by PID, and removes its temp dir.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { apiCall, waitFor } from "./api.ts";
import { startControlPlane } from "./control-plane.ts";
import { installCrds } from "./crds.ts";
import { writeClusterKubeconfig } from "./kubeconfig.ts";

const CLUSTER_DIR = fileURLToPath(new URL(".", import.meta.url));
const BINARY = join(CLUSTER_DIR, "..", ".cluster-bin", "grayctl-cluster");

const USAGE = `usage: npm run cluster -- --kubeconfig FILE [options]

  --kubeconfig FILE   where to write the admin kubeconfig (required)
  --node-name NAME    the node agent's Node (default grayctl-node)
  --pod-cidr CIDR     pod addresses on the agent's bridge (default 10.244.77.0/24)
  --bridge NAME       the agent's bridge device (default grayctl0); two clusters on one
                      machine need their own bridge and pod CIDR
  --docker            run images other than sandbox.local on the Docker Engine
  --no-agent          control plane only (no node: pods stay Pending)`;

function optionsFrom(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: "string" },
      "node-name": { type: "string", default: "grayctl-node" },
      "pod-cidr": { type: "string", default: "10.244.77.0/24" },
      bridge: { type: "string", default: "grayctl0" },
      docker: { type: "boolean" },
      "no-agent": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (!values.kubeconfig) throw new Error("--kubeconfig FILE is required");
  return { ...values, kubeconfig: resolve(values.kubeconfig) };
}

const ms = (value: number) => `${(value / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  let options: ReturnType<typeof optionsFrom>;
  try {
    options = optionsFrom(process.argv.slice(2));
  } catch (error) {
    console.error(`cluster: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (!existsSync(BINARY)) {
    console.error(`cluster: ${BINARY} is missing: run scripts/cluster-build.sh first`);
    process.exit(2);
  }
  if (!options["no-agent"] && process.getuid?.() !== 0) {
    console.error("cluster: the node agent needs root (it creates network namespaces); run as root or with --no-agent");
    process.exit(2);
  }
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), "grayctl-cluster-"));
  const cleanups: (() => Promise<void>)[] = [() => rm(dir, { recursive: true, force: true })];
  let stopping = false;
  const stopAll = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    console.error(`cluster: ${why}, stopping`);
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e) => console.error(`cluster: ${e.message}`));
    process.exit(code);
  };
  process.on("SIGINT", () => void stopAll("SIGINT", 0));
  process.on("SIGTERM", () => void stopAll("SIGTERM", 0));
  try {
    const plane = await startControlPlane({
      binary: BINARY,
      dir,
      nodeNames: options["no-agent"] ? [] : [options["node-name"]],
      onStarted: (what, took) => console.log(`started ${what} in ${ms(took)}`),
    });
    cleanups.push(() => plane.stop());
    plane.crashed.catch((error) => void stopAll(error.message, 1));
    for (const c of plane.components) console.log(`  ${c.name.padEnd(24)} pid ${c.pid}  log ${c.logFile}`);

    const crdsStarted = performance.now();
    const crds = await installCrds(plane.admin, CLUSTER_DIR);
    console.log(`installed ${crds.length} CRDs in ${ms(performance.now() - crdsStarted)}: ${crds.join(", ")}`);

    if (!options["no-agent"]) {
      const nodeName = options["node-name"];
      const agentStarted = performance.now();
      const node = plane.identities.get(`system:node:${nodeName}`)!;
      const agentKubeconfig = await writeClusterKubeconfig(join(dir, "node.kubeconfig"), {
        server: plane.server,
        caPem: plane.caPem,
        token: node.token,
        user: node.user,
      });
      const logDir = join(dir, "pod-logs");
      await mkdir(logDir, { recursive: true });
      const { startNodeAgent } = await import("../sandbox/node-agent/index.ts");
      const agent = await startNodeAgent({
        kubeconfigPath: agentKubeconfig,
        nodeName,
        podCidr: options["pod-cidr"],
        bridge: options.bridge,
        docker: options.docker ? {} : false,
        logDir,
        volumeDir: join(dir, "pod-volumes"),
      });
      cleanups.push(() => agent.stop());
      await waitFor(`node ${nodeName} to be Ready`, 60_000, async () => {
        const answer = await apiCall(plane.admin, "GET", `/api/v1/nodes/${nodeName}`);
        const conditions: { type: string; status: string }[] = JSON.parse(answer.body).status?.conditions ?? [];
        return conditions.some((c) => c.type === "Ready" && c.status === "True") ? true : undefined;
      });
      console.log(`node agent: ${nodeName} Ready in ${ms(performance.now() - agentStarted)}, pod logs in ${logDir}`);
    }

    await writeClusterKubeconfig(options.kubeconfig, {
      server: plane.server,
      caPem: plane.caPem,
      token: plane.admin.token,
      user: "grayctl-admin",
    });
    console.log(`cluster ready in ${ms(performance.now() - started)}: API ${plane.server}`);
    console.log(`kubeconfig:   ${options.kubeconfig} (admin)`);
    console.log(`try:          kubectl --kubeconfig ${options.kubeconfig} get nodes`);
  } catch (error) {
    console.error(`cluster: ${(error as Error).message}`);
    await stopAll("start failed", 1);
  }
}

main();
