// `npm run sandbox -- --kubeconfig FILE [--port N] [--nginx] ...`: runs the
// sandbox in the foreground until SIGINT/SIGTERM, for demos and manual kubectl.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type SandboxOptions, startSandbox } from "./index.ts";

const USAGE = `usage: npm run sandbox -- --kubeconfig FILE [options]

  --kubeconfig FILE          where to write the kubeconfig (required)
  --port N                   API port on 127.0.0.1 (default: a free one)
  --front-door-port N        traffic front door port (default: a free one)
  --nginx                    also route through a real nginx (needs nginx on PATH)
  --nginx-binary PATH        nginx binary to use (implies --nginx)
  --prometheus-targets FILE  keep a Prometheus file_sd targets file of ready pods
  --docker                   run non-sandbox.local images on the Docker Engine
  --namespace NAME           create this namespace too (repeatable)
  --no-workloads             API only: no Deployment controller, no pod processes
  --no-traffic               no front door
  --verbose                  log every API request to stderr`;

function port(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${flag}: ${JSON.stringify(value)} is not a port number`);
  return n;
}

function optionsFrom(argv: string[]): SandboxOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: "string" },
      port: { type: "string" },
      "front-door-port": { type: "string" },
      nginx: { type: "boolean" },
      "nginx-binary": { type: "string" },
      "prometheus-targets": { type: "string" },
      docker: { type: "boolean" },
      namespace: { type: "string", multiple: true },
      "no-workloads": { type: "boolean" },
      "no-traffic": { type: "boolean" },
      verbose: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (!values.kubeconfig) throw new Error("--kubeconfig FILE is required");
  const nginx = values.nginx || values["nginx-binary"] ? { binary: values["nginx-binary"] } : undefined;
  return {
    kubeconfigPath: resolve(values.kubeconfig),
    port: port(values.port, "--port"),
    namespaces: values.namespace,
    workloads: values["no-workloads"] ? false : { docker: values.docker ? {} : false },
    traffic: values["no-traffic"]
      ? false
      : {
          port: port(values["front-door-port"], "--front-door-port"),
          nginx,
          prometheusTargetsFile: values["prometheus-targets"],
        },
    onRequest: values.verbose ? (method, url) => console.error(`${method} ${url}`) : undefined,
  };
}

async function main(): Promise<void> {
  let options: SandboxOptions;
  try {
    options = optionsFrom(process.argv.slice(2));
  } catch (error) {
    console.error(`sandbox: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const started = performance.now();
  const sandbox = await startSandbox(options);
  console.log(`sandbox API:  ${sandbox.url}  (started in ${(performance.now() - started).toFixed(0)} ms)`);
  console.log(`kubeconfig:   ${sandbox.kubeconfigPath}`);
  if (sandbox.frontDoorUrl) console.log(`front door:   ${sandbox.frontDoorUrl}`);
  console.log(`try:          kubectl --kubeconfig ${sandbox.kubeconfigPath} get all`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`sandbox: ${signal}, stopping`);
    await sandbox.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error) => {
  console.error(`sandbox: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
