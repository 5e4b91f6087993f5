// Discovery documents: what kubectl and client-node's KubernetesObjectApi read to
// map kinds to resource paths. Answered as the legacy (unaggregated) documents with
// a plain application/json Content-Type; clients that ask for aggregated discovery
// (apidiscovery.k8s.io/v2) check the response type and fall back to these.
import { ALL_TYPES, apiVersionOf, type ResourceType } from "../resources.ts";

const VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const IN_CATEGORY_ALL = new Set(["pods", "services", "deployments", "replicasets"]);

export function versionInfo() {
  return {
    major: "1",
    minor: "32",
    gitVersion: "v1.32.0-grayctl-sandbox",
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2025-01-01T00:00:00Z",
    goVersion: "go1.23.0",
    compiler: "gc",
    platform: "linux/amd64",
  };
}

export function coreVersions(serverAddress: string) {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

function groupVersions(): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const t of ALL_TYPES) {
    if (t.group === "") continue;
    const versions = groups.get(t.group) ?? [];
    if (!versions.includes(t.version)) versions.push(t.version);
    groups.set(t.group, versions);
  }
  return groups;
}

function groupDocument(name: string, versions: string[]) {
  const entries = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: entries, preferredVersion: entries[0] };
}

export function groupList() {
  const groups = [...groupVersions()].map(([name, versions]) => groupDocument(name, versions));
  return { kind: "APIGroupList", apiVersion: "v1", groups };
}

export function groupInfo(group: string) {
  const versions = groupVersions().get(group);
  return versions ? { kind: "APIGroup", apiVersion: "v1", ...groupDocument(group, versions) } : undefined;
}

function entries(t: ResourceType) {
  const main = {
    name: t.plural,
    singularName: t.singular,
    namespaced: t.namespaced,
    kind: t.kind,
    verbs: VERBS,
    ...(t.shortNames ? { shortNames: t.shortNames } : {}),
    ...(IN_CATEGORY_ALL.has(t.plural) ? { categories: ["all"] } : {}),
  };
  const sub = (name: string, kind: string, verbs: string[], extra: Record<string, string> = {}) => ({
    name: `${t.plural}/${name}`,
    singularName: "",
    namespaced: t.namespaced,
    kind,
    verbs,
    ...extra,
  });
  const list: object[] = [main];
  if (t.statusSubresource) list.push(sub("status", t.kind, ["get", "patch", "update"]));
  if (t.plural === "deployments" || t.plural === "replicasets") {
    list.push(sub("scale", "Scale", ["get", "patch", "update"], { group: "autoscaling", version: "v1" }));
  }
  if (t.plural === "pods") list.push(sub("log", "Pod", ["get"]));
  if (t.plural === "pods" || t.plural === "services") {
    list.push(
      sub("proxy", t.plural === "pods" ? "PodProxyOptions" : "ServiceProxyOptions", [
        "create",
        "delete",
        "get",
        "patch",
        "update",
      ]),
    );
  }
  return list;
}

/** APIResourceList of one group version, or undefined if the sandbox does not serve it. */
export function resourceList(group: string, version: string) {
  const types = ALL_TYPES.filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: apiVersionOf(types[0]),
    resources: types.flatMap(entries),
  };
}
