// The columns `kubectl get` shows per kind, as the real API server's printers
// (pkg/printers/internalversion) produce them: cells are preformatted strings
// (ages included) or integers, and priority-1 columns appear only with -o wide.
import { R, type ResourceType } from "../resources.ts";
import type { KubeObject } from "../store.ts";
import { isTerminating } from "../controllers/terminating.ts";

type Cell = string | number;
export interface Column {
  name: string;
  type: "string" | "integer";
  format: string;
  priority: number;
  cell: (obj: KubeObject, now: number) => Cell;
}

/** A column; `wide` ones (priority 1) are shown only by `-o wide`, as in Kubernetes. */
const col = (name: string, cell: Column["cell"], o: Partial<Column> = {}): Column => ({
  name,
  type: "string",
  format: "",
  priority: 0,
  cell,
  ...o,
});
const int = (name: string, cell: Column["cell"], o: Partial<Column> = {}) => col(name, cell, { type: "integer", ...o });
const wide = { priority: 1 };
const NONE = "<none>";
const orNone = (s: string | undefined) => s || NONE;

/** duration.HumanDuration: how kubectl/the API server write an age ("45s", "3m12s", "5h2m", "12d"). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  const pair = (a: number, unitA: string, b: number, unitB: string) =>
    b === 0 ? `${a}${unitA}` : `${a}${unitA}${b}${unitB}`;
  if (minutes < 10) return pair(minutes, "m", seconds % 60, "s");
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return pair(hours, "h", minutes % 60, "m");
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return pair(days, "d", hours % 24, "h");
  if (hours < 24 * 365 * 2) return `${days}d`;
  if (hours < 24 * 365 * 8) return pair(Math.floor(days / 365), "y", days % 365, "d");
  return `${Math.floor(days / 365)}y`;
}

const since = (timestamp: string | undefined, now: number) =>
  timestamp ? humanDuration(now - Date.parse(timestamp)) : "<unknown>";

// kubectl prints a "date" column's cell verbatim, so ages are sent preformatted
// as "string" cells, exactly as the real server does for built-in types.
const NAME = col("Name", (o) => o.metadata.name ?? "", { format: "name" });
const AGE = col("Age", (o, now) => since(o.metadata.creationTimestamp, now));

// biome-ignore lint/suspicious/noExplicitAny: pod specs are unstructured
const containers = (o: KubeObject): any[] => o.spec?.template?.spec?.containers ?? [];
const selector = (o: KubeObject) =>
  Object.entries(o.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
const WORKLOAD_WIDE = [
  col(
    "Containers",
    (o) =>
      containers(o)
        .map((c) => c.name)
        .join(","),
    wide,
  ),
  col(
    "Images",
    (o) =>
      containers(o)
        .map((c) => c.image)
        .join(","),
    wide,
  ),
  col("Selector", (o) => orNone(selector(o)), wide),
];

/** The STATUS and RESTARTS of kubectl's printPod, for regular containers. */
function podState(pod: KubeObject, now: number) {
  let reason: string = pod.status?.reason || pod.status?.phase || "Pending";
  let restarts = 0;
  let ready = 0;
  let running = false;
  let lastRestart: string | undefined;
  const statuses = [...(pod.status?.containerStatuses ?? [])].reverse();
  for (const c of statuses) {
    restarts += c.restartCount ?? 0;
    const finished = c.lastState?.terminated?.finishedAt;
    if (finished && (!lastRestart || finished > lastRestart)) lastRestart = finished;
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
    else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
    else if (c.state?.terminated) reason = `ExitCode:${c.state.terminated.exitCode}`;
    else if (c.ready && c.state?.running) {
      running = true;
      ready++;
    }
  }
  if (reason === "Completed" && running) {
    const isReady = pod.status?.conditions?.some(
      (c: { type: string; status: string }) => c.type === "Ready" && c.status === "True",
    );
    reason = isReady ? "Running" : "NotReady";
  }
  if (isTerminating(pod)) reason = "Terminating";
  const total = pod.spec?.containers?.length ?? statuses.length;
  const restartText = restarts && lastRestart ? `${restarts} (${since(lastRestart, now)} ago)` : String(restarts);
  return { ready: `${ready}/${total}`, reason, restarts: restartText };
}

const servicePorts = (o: KubeObject) =>
  (o.spec?.ports ?? []).map((p: { port: number; nodePort?: number; protocol?: string }) =>
    p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? "TCP"}` : `${p.port}/${p.protocol ?? "TCP"}`,
  );
const lbAddresses = (o: KubeObject): string[] =>
  (o.status?.loadBalancer?.ingress ?? []).map((i: { ip?: string; hostname?: string }) => i.ip || i.hostname);
function externalIp(o: KubeObject): string {
  const type = o.spec?.type ?? "ClusterIP";
  if (type === "ExternalName") return o.spec?.externalName ?? NONE;
  const ips = [...lbAddresses(o), ...(o.spec?.externalIPs ?? [])];
  if (type === "LoadBalancer" && ips.length === 0) return "<pending>";
  return orNone(ips.join(","));
}

// biome-ignore lint/suspicious/noExplicitAny: ingress rules are unstructured
const ingressHosts = (o: KubeObject): string[] => (o.spec?.rules ?? []).map((r: any) => r.host || "*");

/** Columns per kind; a type without an entry gets NAME and AGE. */
const PRINTERS = new Map<ResourceType, Column[]>([
  [
    R.deployments,
    [
      NAME,
      col("Ready", (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`),
      int("Up-to-date", (o) => o.status?.updatedReplicas ?? 0),
      int("Available", (o) => o.status?.availableReplicas ?? 0),
      AGE,
      ...WORKLOAD_WIDE,
    ],
  ],
  [
    R.replicasets,
    [
      NAME,
      int("Desired", (o) => o.spec?.replicas ?? 0),
      int("Current", (o) => o.status?.replicas ?? 0),
      int("Ready", (o) => o.status?.readyReplicas ?? 0),
      AGE,
      ...WORKLOAD_WIDE,
    ],
  ],
  [
    R.pods,
    [
      NAME,
      col("Ready", (o, now) => podState(o, now).ready),
      col("Status", (o, now) => podState(o, now).reason),
      col("Restarts", (o, now) => podState(o, now).restarts),
      AGE,
      col("IP", (o) => orNone(o.status?.podIP), wide),
      col("Node", (o) => orNone(o.spec?.nodeName), wide),
      col("Nominated Node", (o) => orNone(o.status?.nominatedNodeName), wide),
      col("Readiness Gates", () => NONE, wide),
    ],
  ],
  [
    R.services,
    [
      NAME,
      col("Type", (o) => o.spec?.type ?? "ClusterIP"),
      col("Cluster-IP", (o) => orNone(o.spec?.clusterIP)),
      col("External-IP", externalIp),
      col("Port(s)", (o) => orNone(servicePorts(o).join(","))),
      AGE,
      col(
        "Selector",
        (o) =>
          orNone(
            Object.entries(o.spec?.selector ?? {})
              .map(([k, v]) => `${k}=${v}`)
              .join(","),
          ),
        wide,
      ),
    ],
  ],
  [
    R.ingresses,
    [
      NAME,
      col("Class", (o) => orNone(o.spec?.ingressClassName)),
      col("Hosts", (o) => orNone(ingressHosts(o).join(","))),
      col("Address", (o) => lbAddresses(o).join(",")),
      col("Ports", (o) => (o.spec?.tls?.length ? "80, 443" : "80")),
      AGE,
    ],
  ],
  [
    R.configmaps,
    [NAME, int("Data", (o) => Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length), AGE],
  ],
  [
    R.secrets,
    [NAME, col("Type", (o) => String(o.type ?? "Opaque")), int("Data", (o) => Object.keys(o.data ?? {}).length), AGE],
  ],
  [R.leases, [NAME, col("Holder", (o) => o.spec?.holderIdentity ?? ""), AGE]],
  [R.namespaces, [NAME, col("Status", (o) => o.status?.phase ?? "Active"), AGE]],
  [
    R.events,
    [
      col("Last Seen", (o, now) =>
        since((o.lastTimestamp || o.eventTime || o.firstTimestamp) as string | undefined, now),
      ),
      col("Type", (o) => String(o.type ?? "")),
      col("Reason", (o) => String(o.reason ?? "")),
      col("Object", (o) => {
        const ref = (o.involvedObject ?? {}) as { kind?: string; name?: string };
        return `${(ref.kind ?? "").toLowerCase()}/${ref.name ?? ""}`;
      }),
      col("Message", (o) => String(o.message ?? "")),
    ],
  ],
]);

/** The columns for a type; one without its own printer gets NAME and AGE, as a CRD without printer columns would. */
export function columnsFor(t: ResourceType): Column[] {
  return PRINTERS.get(t) ?? [NAME, AGE];
}
