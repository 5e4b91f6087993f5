// Why a pod is not ready, in the pod's own terms: the scheduler's message, the
// reason a container waits, or what the container's own readiness probe gets
// when asked now. A rollback reason that quoted /healthz (analysis.healthz) for
// a pod whose probe is /readyz would send on-call to the wrong endpoint.
import type { V1Container, V1Pod, V1Probe } from "@kubernetes/client-node";
import type { RolloutContext } from "./context.ts";
import { summarizePod } from "../model/pods.ts";

const PROBE_TIMEOUT_MS = 2_000;

function portOf(container: V1Container, port: number | string | undefined): number | undefined {
  if (typeof port === "number") return port;
  if (port && /^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** What the container's readiness probe answers now, asked through the API server's pod proxy when it is HTTP. */
async function probeAnswer(ctx: RolloutContext, pod: string, container: V1Container, probe: V1Probe): Promise<string> {
  if (probe.httpGet) {
    const path = probe.httpGet.path || "/";
    const port = portOf(container, probe.httpGet.port as number | string);
    const asked = `its readiness probe GET ${port !== undefined ? `:${port}` : ""}${path}`;
    if (port === undefined) return `${asked} names a port the container does not declare (${probe.httpGet.port})`;
    // The proxy speaks HTTP to the pod; an HTTPS probe is named, not asked.
    if (probe.httpGet.scheme === "HTTPS") return `${asked} (HTTPS) has not passed`;
    const answer = await ctx.cluster.podProxyGet(pod, port, path, PROBE_TIMEOUT_MS);
    return `${asked} answered ${answer.status === 0 ? answer.body : `HTTP ${answer.status}`}`;
  }
  if (probe.tcpSocket) return `its readiness probe (TCP port ${probe.tcpSocket.port}) has not passed`;
  if (probe.exec) return `its readiness probe (exec ${(probe.exec.command ?? []).join(" ")}) has not passed`;
  if (probe.grpc) return `its readiness probe (gRPC port ${probe.grpc.port}) has not passed`;
  return "its readiness probe has not passed";
}

/** One sentence on why `pod` is not ready, starting with "pod NAME". */
export async function whyNotReady(ctx: RolloutContext, pod: V1Pod): Promise<string> {
  const summary = summarizePod(pod);
  const name = `pod ${summary.name}`;
  if (summary.unschedulable) return `${name} cannot be scheduled: ${summary.unschedulable}`;
  const statuses = pod.status?.containerStatuses ?? [];
  const specs = pod.spec?.containers ?? [];
  for (const spec of specs) {
    const status = statuses.find((s) => s.name === spec.name);
    if (status?.ready) continue;
    const waiting = status?.state?.waiting;
    if (!status || waiting) {
      const why = waiting ? `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}` : "no status yet";
      return `${name} is not ready: container ${spec.name} is waiting (${why})`;
    }
    if (spec.readinessProbe) {
      const said = await probeAnswer(ctx, summary.name, spec, spec.readinessProbe);
      return `${name} is not ready: ${said}`;
    }
  }
  const condition = (pod.status?.conditions ?? []).find((c) => c.type === "Ready");
  const detail = condition?.message ?? condition?.reason;
  return `${name} is not ready${detail ? ` (${detail})` : ""}`;
}
