// Defaulting, as the API server does on every write: the fields kubectl and the
// controllers read back (a Deployment's strategy and replicas, a Service's
// clusterIP and targetPort) are filled in when the client left them out.
import { R, type ResourceType } from "../resources.ts";
import type { KubeObject } from "../store.ts";
import { badRequest } from "./status.ts";

let nextClusterIp = 1;

// biome-ignore lint/suspicious/noExplicitAny: pod specs are unstructured here
function defaultPodSpec(spec: any): void {
  if (!spec) return;
  spec.restartPolicy ??= "Always";
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= "ClusterFirst";
  for (const container of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    const tag = String(container.image ?? "")
      .split("/")
      .pop()
      ?.split(":")[1];
    container.imagePullPolicy ??= tag === undefined || tag === "latest" ? "Always" : "IfNotPresent";
    container.terminationMessagePath ??= "/dev/termination-log";
    container.terminationMessagePolicy ??= "File";
    for (const port of container.ports ?? []) port.protocol ??= "TCP";
  }
}

export function applyDefaults(t: ResourceType, obj: KubeObject): KubeObject {
  switch (t) {
    case R.namespaces:
      obj.spec ??= { finalizers: ["kubernetes"] };
      obj.status ??= { phase: "Active" };
      obj.metadata.labels = { "kubernetes.io/metadata.name": obj.metadata.name ?? "", ...obj.metadata.labels };
      break;
    case R.pods:
      obj.spec ??= {};
      defaultPodSpec(obj.spec);
      obj.status ??= { phase: "Pending", qosClass: "BestEffort" };
      break;
    case R.services:
      obj.spec ??= {};
      obj.spec.type ??= "ClusterIP";
      obj.spec.sessionAffinity ??= "None";
      if (obj.spec.clusterIP === undefined) {
        obj.spec.clusterIP = `10.96.${Math.floor(nextClusterIp / 250)}.${(nextClusterIp % 250) + 1}`;
        nextClusterIp++;
      }
      obj.spec.clusterIPs ??= [obj.spec.clusterIP];
      for (const port of obj.spec.ports ?? []) {
        port.protocol ??= "TCP";
        port.targetPort ??= port.port;
      }
      obj.status ??= { loadBalancer: {} };
      break;
    case R.deployments:
      obj.spec ??= {};
      obj.spec.replicas ??= 1;
      obj.spec.revisionHistoryLimit ??= 10;
      obj.spec.progressDeadlineSeconds ??= 600;
      obj.spec.strategy ??= { type: "RollingUpdate" };
      if (obj.spec.strategy.type === "RollingUpdate") {
        obj.spec.strategy.rollingUpdate ??= {};
        obj.spec.strategy.rollingUpdate.maxUnavailable ??= "25%";
        obj.spec.strategy.rollingUpdate.maxSurge ??= "25%";
      }
      defaultPodSpec(obj.spec.template?.spec);
      break;
    case R.replicasets:
      obj.spec ??= {};
      obj.spec.replicas ??= 1;
      defaultPodSpec(obj.spec.template?.spec);
      break;
    case R.httproutes:
      defaultHttpRoute(obj.spec);
      break;
    case R.leases:
      checkMicroTimes(obj, ["acquireTime", "renewTime"]);
      break;
  }
  return obj;
}

/**
 * The defaults in Gateway API's HTTPRoute CRD schema (sigs.k8s.io/gateway-api
 * v1.6, config/crd/standard), which kube-apiserver applies on every write:
 * seen on the real control plane, where a route read back carries them.
 */
// biome-ignore lint/suspicious/noExplicitAny: custom resource specs are unstructured
function defaultHttpRoute(spec: any): void {
  if (!spec) return;
  for (const parent of spec.parentRefs ?? []) {
    parent.group ??= "gateway.networking.k8s.io";
    parent.kind ??= "Gateway";
  }
  spec.rules ??= [{}];
  for (const rule of spec.rules) {
    rule.matches ??= [{}];
    for (const match of rule.matches) {
      match.path ??= {};
      match.path.type ??= "PathPrefix";
      match.path.value ??= "/";
      for (const header of match.headers ?? []) header.type ??= "Exact";
      for (const param of match.queryParams ?? []) param.type ??= "Exact";
    }
    for (const backend of rule.backendRefs ?? []) {
      backend.group ??= "";
      backend.kind ??= "Service";
      backend.weight ??= 1;
    }
  }
}

/**
 * Lease times are metav1.MicroTime, which kube-apiserver decodes only with six
 * fractional digits (found on the real control plane: a JavaScript Date's
 * milliseconds are refused with 400).
 */
function checkMicroTimes(obj: KubeObject, fields: string[]): void {
  for (const field of fields) {
    const value = obj.spec?.[field];
    if (value === undefined || value === null || /\.\d{6}Z$/.test(String(value))) continue;
    throw badRequest(
      `${obj.kind ?? "Lease"} in version "v1" cannot be handled as a ${obj.kind ?? "Lease"}: parsing time "${value}" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "${String(value).slice(19)}" as ".000000"`,
    );
  }
}
