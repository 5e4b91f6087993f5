// Run in a child process by the scale case (bundled first, like the shipped
// CLI): the health gate over an app's canary pods, `times` times, printing the
// time of each evaluation, the process's peak RSS and CPU time as one JSON line.
// Usage: node gate-once.mjs KUBECONFIG APP TIMES
import { connect } from "../../src/kube/client.ts";
import { systemClock } from "../../src/kube/clock.ts";
import { Cluster } from "../../src/kube/cluster.ts";
import { HealthGate } from "../../src/rollout/health-gate.ts";

const [kubeconfig, app, times] = process.argv.slice(2);
const clients = connect({ kubeconfig, env: {}, redact: () => {} });
const cluster = new Cluster(clients, "default", systemClock);
const gate = new HealthGate(cluster, { path: "/healthz", port: 8080, timeoutMs: 10_000, concurrency: 8 });
const now = new Date();
const context = { app, namespace: "default", step: 0, weight: 10, windowStart: now, windowEnd: now };
const gateMs: number[] = [];
for (let i = 0; i < Number(times); i++) {
  const started = performance.now();
  const result = await gate.evaluate({ ...context, canaryPods: [], stablePods: [] });
  gateMs.push(performance.now() - started);
  if (result.result !== "passed") throw new Error(`gate ${result.result}: ${JSON.stringify(result)}`);
}
const usage = process.resourceUsage();
// CPU time tells grayctl's own work from waiting for the API server.
const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
console.log(JSON.stringify({ gateMs, maxRssMb: usage.maxRSS / 1024, cpuMs }));
