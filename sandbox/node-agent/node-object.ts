// The Node this agent registers and the status it reports, in the shape kubelet
// gives them: well-known labels, capacity/allocatable, nodeInfo, addresses and
// the four conditions kubelet maintains. Condition lastTransitionTime only moves
// when a condition's status changes; lastHeartbeatTime moves at every report.
import { readFileSync, statfsSync } from "node:fs";
import { arch, availableParallelism, release, totalmem } from "node:os";
import type { KubeObject } from "./kube-api.ts";

export interface NodeFacts {
  nodeName: string;
  podCidr: string;
  address: string;
  /** The API server's version, reported as the kubelet's (kubelet may not be newer). */
  kubeletVersion: string;
  containerRuntimeVersion: string;
}

const ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x" };

export function kubeArch(): string {
  return ARCH[arch()] ?? arch();
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return fallback;
  }
}

function osImage(): string {
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readOr("/etc/os-release", ""));
  return pretty?.[1] ?? "Linux";
}

function resources() {
  const disk = statfsSync("/");
  const resources = {
    cpu: String(availableParallelism()),
    memory: `${Math.floor(totalmem() / 1024)}Ki`,
    "ephemeral-storage": `${Math.floor((disk.blocks * disk.bsize) / 1024)}Ki`,
    pods: "110",
  };
  return { capacity: resources, allocatable: { ...resources } };
}

export function nodeObject(facts: NodeFacts): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: facts.nodeName,
      labels: {
        "kubernetes.io/hostname": facts.nodeName,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": kubeArch(),
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": kubeArch(),
      },
    },
    spec: { podCIDR: facts.podCidr, podCIDRs: [facts.podCidr] },
  };
}

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastHeartbeatTime: string;
  lastTransitionTime: string;
}

const CONDITIONS: [type: string, status: string, reason: string, message: string][] = [
  ["MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"],
  ["DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"],
  ["PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"],
  ["Ready", "True", "KubeletReady", "kubelet is posting ready status"],
];

/** Seconds precision, as the API server stores metav1.Time. */
export function apiTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export function nodeStatus(facts: NodeFacts, previous: KubeObject | undefined, now: Date): KubeObject {
  const before: Condition[] = previous?.conditions ?? [];
  const conditions = CONDITIONS.map(([type, status, reason, message]) => {
    const earlier = before.find((c) => c.type === type);
    return {
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: apiTime(now),
      lastTransitionTime: earlier && earlier.status === status ? earlier.lastTransitionTime : apiTime(now),
    };
  });
  return {
    ...resources(),
    conditions,
    addresses: [
      { type: "InternalIP", address: facts.address },
      { type: "Hostname", address: facts.nodeName },
    ],
    nodeInfo: {
      machineID: readOr("/etc/machine-id", ""),
      systemUUID: readOr("/sys/class/dmi/id/product_uuid", readOr("/etc/machine-id", "")),
      bootID: readOr("/proc/sys/kernel/random/boot_id", ""),
      kernelVersion: release(),
      osImage: osImage(),
      containerRuntimeVersion: facts.containerRuntimeVersion,
      kubeletVersion: facts.kubeletVersion,
      operatingSystem: "linux",
      architecture: kubeArch(),
    },
  };
}
