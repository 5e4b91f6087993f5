// What the pods of a track look like right now, from their status: ready,
// restarted, crash-looping or terminating. Pure.
import type { V1ContainerStatus, V1Pod } from "@kubernetes/client-node";

export interface PodSummary {
  name: string;
  ready: boolean;
  terminating: boolean;
  restarts: number;
  /** CrashLoopBackOff, ErrImagePull, … when a container is waiting for a bad reason. */
  problem?: string;
  /** What the kubelet says about the problem: the pull error, or how the crashing container last exited. */
  problemMessage?: string;
  /** The scheduler's message while the pod cannot be placed on a node (FailedScheduling). */
  unschedulable?: string;
  image?: string;
}

const BAD_WAITING = new Set([
  "CrashLoopBackOff",
  "ErrImagePull",
  "ImagePullBackOff",
  "CreateContainerConfigError",
  "InvalidImageName",
  "RunContainerError",
]);

export function summarizePod(pod: V1Pod): PodSummary {
  const statuses = pod.status?.containerStatuses ?? [];
  const ready = (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
  const restarts = statuses.reduce((sum, s) => sum + (s.restartCount ?? 0), 0);
  const waitingStatus = statuses.find((s) => BAD_WAITING.has(s.state?.waiting?.reason ?? ""));
  const waiting = waitingStatus?.state?.waiting?.reason;
  const terminated = statuses.find((s) => s.state?.terminated && s.state.terminated.exitCode !== 0);
  const problem = waiting ?? (terminated ? `exited with code ${terminated.state?.terminated?.exitCode}` : undefined);
  const scheduled = (pod.status?.conditions ?? []).find((c) => c.type === "PodScheduled");
  return {
    name: pod.metadata?.name ?? "?",
    ready: ready && !pod.metadata?.deletionTimestamp,
    terminating: Boolean(pod.metadata?.deletionTimestamp),
    restarts,
    problem,
    problemMessage: waitingStatus && problemMessageOf(waitingStatus),
    unschedulable:
      scheduled?.status === "False" ? (scheduled.message ?? scheduled.reason ?? "not scheduled") : undefined,
    image: pod.spec?.containers?.[0]?.image,
  };
}

/** A crash loop's waiting message only says "back-off"; how the container last exited says why. */
function problemMessageOf(status: V1ContainerStatus): string | undefined {
  const last = status.lastState?.terminated;
  if (status.state?.waiting?.reason === "CrashLoopBackOff" && last)
    return `last exit code ${last.exitCode}${last.reason ? ` (${last.reason})` : ""}${last.message ? `: ${last.message}` : ""}`;
  return status.state?.waiting?.message || undefined;
}

export interface TrackSummary {
  pods: PodSummary[];
  ready: number;
  live: number;
}

export function summarizeTrack(pods: V1Pod[]): TrackSummary {
  const summaries = pods.map(summarizePod);
  const live = summaries.filter((p) => !p.terminating);
  return { pods: summaries, ready: live.filter((p) => p.ready).length, live: live.length };
}

/** A reason to fail fast: a crash loop, a pull error, or any restart since the canary started. */
export function failFastReason(track: TrackSummary): string | undefined {
  for (const pod of track.pods) {
    if (pod.terminating) continue;
    if (pod.problem)
      return `pod ${pod.name} is ${pod.problem} (restarts: ${pod.restarts})${pod.problemMessage ? `: ${pod.problemMessage}` : ""}`;
    if (pod.restarts > 0) return `pod ${pod.name} restarted ${pod.restarts} time${pod.restarts === 1 ? "" : "s"}`;
  }
  return undefined;
}
