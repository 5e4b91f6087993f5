// Audit trail: every operate action is also a core/v1 Event on the stable
// Deployment, so `kubectl describe deploy APP` and `kubectl get events` show
// who rolled back, promoted or aborted, and why. Best effort: a cluster that
// refuses the Event (RBAC, quota) gets a warning, never a failed rollback.
import type { CoreV1Event } from "@kubernetes/client-node";
import type { Cluster } from "./cluster.ts";
import { describeApiError } from "./errors.ts";

export type AuditReason =
  | "RolloutStarted"
  | "RolloutResumed"
  | "Deployed"
  | "Paused"
  | "Interrupted"
  | "Promoted"
  | "PromotionContinued"
  | "RolledBack"
  | "Aborted"
  | "Superseded"
  | "OrphanTakenOver"
  | "OrphanResumed"
  | "OrphanHeld";

export interface AuditEvent {
  app: string;
  reason: AuditReason;
  actor: string;
  /** Why (the user's --reason, a failed gate, …). */
  why?: string;
  /** What happened, e.g. "rolled back revision 4 (…@sha256:…) to revision 3". */
  action: string;
  warning?: boolean;
  /** The process that acted (reportingInstance). */
  owner?: string;
}

export function auditEventBody(event: AuditEvent, namespace: string, uid: string | undefined, now: Date): CoreV1Event {
  const message = `${event.action} by ${event.actor}${event.why ? `: ${event.why}` : ""}`;
  const stamp = now.getTime().toString(16);
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: {
      name: `${event.app}.grayctl.${stamp}${Math.floor(Math.random() * 0xfff).toString(16)}`,
      namespace,
      labels: { app: event.app, "app.kubernetes.io/managed-by": "grayctl" },
    },
    // kubectl describe finds events by the object's kind, name and uid.
    involvedObject: { apiVersion: "apps/v1", kind: "Deployment", name: event.app, namespace, uid },
    reason: event.reason,
    // The API server caps messages at 1 KiB.
    message: message.slice(0, 1024),
    type: event.warning ? "Warning" : "Normal",
    source: { component: "grayctl" },
    reportingComponent: "grayctl",
    reportingInstance: event.owner?.slice(0, 128),
    action: event.reason,
    firstTimestamp: now,
    lastTimestamp: now,
    eventTime: undefined,
    count: 1,
  };
}

/** Records the event; returns a warning text instead of throwing when it cannot. */
export async function recordAuditEvent(cluster: Cluster, event: AuditEvent, now: Date): Promise<string | undefined> {
  try {
    const stable = await cluster.getDeployment(event.app);
    await cluster.recordEvent(auditEventBody(event, cluster.namespace, stable?.metadata?.uid, now));
    return undefined;
  } catch (error) {
    return `could not record the ${event.reason} Event on Deployment ${event.app}: ${describeApiError(error).message}`;
  }
}
