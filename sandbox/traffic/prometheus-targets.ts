// Prometheus file_sd targets for every ready pod that can be reached (a sandbox
// pod's loopback host port, a real cluster's pod IP and container port), kept
// current from pod changes. The file is replaced atomically (temp file + rename)
// so Prometheus never reads half a file.
import { rename, writeFile } from "node:fs/promises";
import { HOST_PORTS_ANNOTATION, hostAndPort, isPodReady, podAddress } from "../endpoints.ts";
import type { KubeObject } from "../store.ts";

export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** Prometheus label names are [a-zA-Z_][a-zA-Z0-9_]*; "__" is reserved for Prometheus. */
export function sanitiseLabelName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_]/g, "_").replace(/^(\d)/, "_$1");
  return clean.startsWith("__") ? clean.replace(/^_+/, "_") : clean;
}

/**
 * The address to scrape: port `prometheus.io/port` when set, else the first
 * declared container port, else (sandbox) the lowest host port the runtime recorded.
 */
function scrapeAddressOf(pod: KubeObject): { host: string; port: number } | undefined {
  const annotated = pod.metadata.annotations?.["prometheus.io/port"];
  if (annotated) return podAddress(pod, annotated);
  const declared = pod.spec?.containers?.flatMap((c: { ports?: { containerPort: number }[] }) => c.ports ?? [])[0];
  if (declared) return podAddress(pod, declared.containerPort);
  const raw = pod.metadata.annotations?.[HOST_PORTS_ANNOTATION];
  if (!raw) return undefined;
  const ports = Object.values(JSON.parse(raw) as Record<string, number>);
  return ports.length ? { host: "127.0.0.1", port: Math.min(...ports) } : undefined;
}

export function targetGroups(pods: KubeObject[]): TargetGroup[] {
  const groups: TargetGroup[] = [];
  for (const pod of pods) {
    if (!isPodReady(pod)) continue;
    const address = scrapeAddressOf(pod);
    if (address === undefined) continue;
    const labels: Record<string, string> = {};
    for (const [name, value] of Object.entries(pod.metadata.labels ?? {})) labels[sanitiseLabelName(name)] = value;
    labels.namespace = pod.metadata.namespace ?? "default";
    labels.pod = pod.metadata.name ?? "";
    labels.app = pod.metadata.labels?.app ?? pod.metadata.labels?.["app.kubernetes.io/name"] ?? "";
    labels.track = pod.metadata.labels?.track ?? "";
    const path = pod.metadata.annotations?.["prometheus.io/path"];
    if (path) labels.__metrics_path__ = path; // honoured by Prometheus when set in file_sd labels
    groups.push({ targets: [hostAndPort(address)], labels });
  }
  return groups.sort((a, b) =>
    `${a.labels.namespace}/${a.labels.pod}`.localeCompare(`${b.labels.namespace}/${b.labels.pod}`),
  );
}

let tempCounter = 0;

export async function writeTargetsFile(file: string, groups: TargetGroup[]): Promise<void> {
  const temp = `${file}.${process.pid}.${++tempCounter}.tmp`;
  await writeFile(temp, `${JSON.stringify(groups, null, 2)}\n`);
  await rename(temp, file);
}

/**
 * Keeps `file` in step with the pods. Writes are serialised and skipped when
 * nothing changed, so a burst of pod events costs one write.
 */
export function keepTargetsFile(file: string, readPods: () => KubeObject[], onError: (error: Error) => void) {
  let last = "";
  let running: Promise<void> = Promise.resolve();
  const refresh = (): Promise<void> => {
    running = running
      .then(async () => {
        const groups = targetGroups(readPods());
        const text = JSON.stringify(groups);
        if (text === last) return;
        await writeTargetsFile(file, groups);
        last = text;
      })
      .catch(onError); // a failed write must not stop later ones
    return running;
  };
  return { refresh, flushed: () => running };
}
