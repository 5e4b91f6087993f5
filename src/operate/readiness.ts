// Why a pod is not ready, for `grayctl status --verbose`: what `kubectl describe pod`
// would make one piece together — the Ready condition's reason, each container's
// waiting or last-terminated state, and the kubelet's latest probe failure from the
// pod's Events (reason Unhealthy) when those can be read. Pure.
import type { CoreV1Event, V1Pod } from "@kubernetes/client-node";

export interface PodReadiness {
  pod: string;
  ready: boolean;
  /** One line each, most telling first; empty for a ready pod. */
  why: string[];
}

/**
 * `probeAnswer`: what the container's readiness probe answered when asked just now
 * (src/rollout/readiness.ts), used for a running container that is not ready.
 */
export function explainReadiness(pod: V1Pod, events: readonly CoreV1Event[], probeAnswer?: string): PodReadiness {
  const name = pod.metadata?.name ?? "?";
  const conditions = pod.status?.conditions ?? [];
  const ready = conditions.some((c) => c.type === "Ready" && c.status === "True") && !pod.metadata?.deletionTimestamp;
  if (ready) return { pod: name, ready, why: [] };
  const why: string[] = [];
  if (pod.metadata?.deletionTimestamp) why.push("terminating");
  const scheduled = conditions.find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False")
    why.push(`not scheduled: ${scheduled.reason ?? ""} ${scheduled.message ?? ""}`.trim());
  for (const status of pod.status?.containerStatuses ?? []) {
    const waiting = status.state?.waiting;
    if (waiting)
      why.push(
        `container ${status.name} waiting: ${waiting.reason ?? "?"}${waiting.message ? ` — ${waiting.message}` : ""}`,
      );
    const last = status.lastState?.terminated ?? status.state?.terminated;
    if (last)
      why.push(
        `container ${status.name} ${status.state?.terminated ? "exited" : "last exited"} with code ${last.exitCode}${last.reason ? ` (${last.reason})` : ""}${status.restartCount ? `, restarted ${status.restartCount}×` : ""}`,
      );
    if (status.state?.running && !status.ready)
      why.push(`container ${status.name} running, ${probeAnswer ?? "its readiness probe not passing"}`);
  }
  const probe = latestProbeFailure(name, events);
  if (probe) why.push(`kubelet: ${probe}`);
  const condition = conditions.find((c) => c.type === "Ready");
  if (why.length === 0 && condition)
    why.push(`Ready=${condition.status}: ${condition.reason ?? ""} ${condition.message ?? ""}`.trim());
  if (why.length === 0) why.push("no Ready condition reported yet");
  return { pod: name, ready, why };
}

/** The newest "Readiness probe failed: …" the kubelet recorded for the pod. */
function latestProbeFailure(pod: string, events: readonly CoreV1Event[]): string | undefined {
  const time = (e: CoreV1Event) => String(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? "");
  const failures = events
    .filter((e) => e.involvedObject?.name === pod && e.reason === "Unhealthy" && /readiness/i.test(e.message ?? ""))
    .sort((a, b) => time(a).localeCompare(time(b)));
  const last = failures.at(-1);
  if (!last) return undefined;
  const count = last.count && last.count > 1 ? ` (${last.count}×)` : "";
  return `${last.message?.trim()}${count}`;
}
