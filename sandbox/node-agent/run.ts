// Runs the node agent on its own against a control plane started without one
// (`npm run cluster -- --no-agent`), in the foreground until SIGINT/SIGTERM:
//   node sandbox/node-agent/run.ts --kubeconfig NODE_KUBECONFIG [--node grayctl-node]
//     [--pod-cidr 10.244.77.0/24] [--bridge grayctl0] [--log-dir DIR] [--docker [--docker-socket PATH]]
// The kubeconfig must carry the node's credentials (user system:node:NAME, group system:nodes).
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { NodeAgentError, startNodeAgent } from "./index.ts";

const { values } = parseArgs({
  options: {
    kubeconfig: { type: "string" },
    node: { type: "string", default: "grayctl-node" },
    "pod-cidr": { type: "string", default: "10.244.77.0/24" },
    bridge: { type: "string", default: "grayctl0" },
    "log-dir": { type: "string", default: join(tmpdir(), "grayctl-node-agent-logs") },
    docker: { type: "boolean", default: false },
    "docker-socket": { type: "string" },
  },
});

if (!values.kubeconfig) {
  console.error(
    "usage: node sandbox/node-agent/run.ts --kubeconfig FILE [--node NAME] [--pod-cidr CIDR] [--bridge NAME]",
  );
  process.exit(2);
}

try {
  const started = performance.now();
  const agent = await startNodeAgent({
    kubeconfigPath: values.kubeconfig,
    nodeName: values.node,
    podCidr: values["pod-cidr"],
    bridge: values.bridge,
    logDir: values["log-dir"],
    docker: values.docker ? { socketPath: values["docker-socket"] } : false,
  });
  console.error(
    `node agent: node ${values.node} Ready, pods on ${values["pod-cidr"]} (bridge ${values.bridge}), logs in ${values["log-dir"]}; ${Math.round(performance.now() - started)} ms`,
  );
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    console.error("node agent: stopping its pods");
    agent.stop().then(
      () => process.exit(0),
      (error) => {
        console.error(`node agent: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
} catch (error) {
  // A NodeAgentError names the node agent itself and what to do.
  console.error(error instanceof NodeAgentError ? error.message : `node agent: ${(error as Error).message}`);
  process.exit(error instanceof NodeAgentError ? 2 : 1);
}
