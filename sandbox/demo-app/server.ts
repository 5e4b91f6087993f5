// The sandbox's stand-in application: what a pod of `sandbox.local/demo-app:TAG`
// runs. Run as `node sandbox/demo-app/server.ts` with PORT and IMAGE (or VERSION)
// in the environment; see config.ts for the faults it can be told to have. HOST
// is the address to listen on: loopback in the sandbox, 0.0.0.0 in a pod's own
// network namespace on the real cluster's node (where it is reached at the pod IP).
import { createServer } from "node:http";
import { demoAppConfig } from "./config.ts";
import { RequestMetrics } from "./metrics.ts";

const config = demoAppConfig(process.env);
const port = Number(process.env.PORT);
const host = process.env.HOST || "127.0.0.1";
if (!Number.isInteger(port) || port <= 0) throw new Error(`PORT=${JSON.stringify(process.env.PORT)} is not a port`);
const metrics = new RequestMetrics(config.statusLabel);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Set by SIGTERM: answer what is in flight, on connections that then close. */
let draining = false;

const server = createServer(async (req, res) => {
  const path = (req.url ?? "/").split("?")[0];
  res.setHeader("x-version", config.version);
  if (draining) res.setHeader("connection", "close");
  if (path === "/healthz") {
    res.writeHead(config.unhealthy ? 500 : 200, { "content-type": "text/plain" });
    res.end(config.unhealthy ? "unhealthy\n" : "ok\n");
    return;
  }
  if (path === "/metrics") {
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end(metrics.render());
    return;
  }
  if (path !== "/") {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found\n");
    return;
  }
  const started = performance.now();
  const faulty = config.faultsAfterS === undefined || started / 1000 >= config.faultsAfterS;
  if (faulty && config.latencyMs > 0) await sleep(config.latencyMs);
  const code = faulty && Math.random() < config.errorRate ? 500 : 200;
  metrics.observe(code, (performance.now() - started) / 1000);
  res.writeHead(code, { "content-type": "text/plain" });
  res.end(code === 200 ? `${config.version}\n` : `error from ${config.version}\n`);
});

server.listen(port, host, () => {
  console.log(`demo-app ${config.version} listening on ${host}:${port} ${JSON.stringify(config)}`);
});

if (config.crashAfterS !== undefined) {
  setTimeout(() => {
    console.error(`demo-app ${config.version}: crashing after ${config.crashAfterS}s as configured`);
    process.exit(1);
  }, config.crashAfterS * 1000).unref();
}

// The runtime stops pods with SIGTERM; a well-behaved app stops accepting, lets
// the requests in flight finish (the runtime's SIGKILL after its grace bounds
// this) and exits. Dropping them would show up as 502s at every scale-down.
process.on("SIGTERM", () => {
  draining = true;
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
