// The real control plane (npm run cluster) in the shape of a sandbox, so the
// integration suites run unchanged against it when GRAYCTL_TEST_CLUSTER names
// its admin kubeconfig (npm run test:cluster sets it). Each app gets a fresh
// namespace with templates/rbac.yaml applied for it (its per-app Role), and grayctl authenticates as that
// Role's ServiceAccount, never as admin, so the real authorizer judges the
// Role. Requests go through a fault proxy (sandbox/api-proxy.ts) that injects
// the failures a stressed API server produces and records each request; the
// suites read the cluster through a mirror (sandbox/mirror.ts), and traffic
// goes through the same front door, routed by the cluster's own objects and
// EndpointSlices.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { type ApiTarget, apiCall, waitFor } from "../../cluster/api.ts";
import { writeClusterKubeconfig } from "../../cluster/kubeconfig.ts";
import { startApiProxy } from "../../sandbox/api-proxy.ts";
import { Faults, type Sandbox, type SandboxOptions } from "../../sandbox/index.ts";
import { writeKubeconfig } from "../../sandbox/kubeconfig.ts";
import { collectionPath } from "../../sandbox/mirror-http.ts";
import { apiVersionOf, type ResourceType } from "../../sandbox/resources.ts";
import type { KubeObject } from "../../sandbox/store.ts";
import { startClusterTraffic } from "../../sandbox/traffic/cluster.ts";
import { readRbacTemplate } from "../../src/cli/shared/rbac-template.ts";

/** The admin kubeconfig of a running `npm run cluster`, when the suites run against it. */
export const clusterKubeconfig = (): string | undefined => process.env.GRAYCTL_TEST_CLUSTER || undefined;

export async function adminTarget(kubeconfigPath: string): Promise<ApiTarget> {
  const config = parse(await readFile(kubeconfigPath, "utf8"));
  const cluster = config.clusters[0].cluster;
  return {
    server: cluster.server,
    caPem: Buffer.from(cluster["certificate-authority-data"], "base64").toString("utf8"),
    token: config.users[0].user.token,
  };
}

async function ok(what: string, answer: Promise<{ status: number; body: string }>, accept = [200, 201]) {
  const { status, body } = await answer;
  if (!accept.includes(status)) throw new Error(`${what}: HTTP ${status} ${body.slice(0, 300)}`);
  return JSON.parse(body || "{}");
}

/** The Role of templates/rbac.yaml for `app`, as `grayctl init --ci` writes it. */
export const appRbac = (app: string) => readRbacTemplate("rbac.yaml", app);

/** A fresh namespace with the Role's ServiceAccount; returns a token for it. */
export async function namespaceWithRole(
  admin: ApiTarget,
  adminKubeconfig: string,
  namespace: string,
  rbacYaml: string,
): Promise<string> {
  await ok(
    `creating namespace ${namespace}`,
    apiCall(admin, "POST", "/api/v1/namespaces", {
      metadata: { name: namespace, labels: { "grayctl.dev/test": "1" } },
    }),
  );
  // kubectl applies the Role exactly as a user would.
  const args = ["--kubeconfig", adminKubeconfig, "-n", namespace, "apply", "-f"];
  const child = execFile("kubectl", [...args, "-"]);
  child.stdin?.end(rbacYaml);
  await new Promise<void>((resolve, reject) =>
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`kubectl apply exited ${code}`)))),
  );
  const request = { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 7200 } };
  // The ServiceAccount may take a moment to be visible to the token endpoint.
  return waitFor(`a token for ServiceAccount ${namespace}/grayctl`, 20_000, async () => {
    const answer = await apiCall(
      admin,
      "POST",
      `/api/v1/namespaces/${namespace}/serviceaccounts/grayctl/token`,
      request,
    );
    return answer.status === 201 ? (JSON.parse(answer.body).status.token as string) : undefined;
  });
}

/** Deletes the namespace and waits (bounded) for its pods to be gone, so suites do not pile up processes. */
export async function deleteNamespace(admin: ApiTarget, namespace: string): Promise<void> {
  await apiCall(admin, "DELETE", `/api/v1/namespaces/${namespace}`);
  await waitFor(`the pods of namespace ${namespace} to be gone`, 60_000, async () => {
    const answer = await apiCall(admin, "GET", `/api/v1/namespaces/${namespace}/pods`);
    return answer.status === 404 || JSON.parse(answer.body).items?.length === 0 ? true : undefined;
  }).catch((error) => console.error(`cluster suite cleanup: ${error.message}`));
}

export const testNamespace = (app: string) => `gt-${app}-${randomBytes(3).toString("hex")}`;

export interface ClusterSandbox extends Sandbox {
  /**
   * The same ServiceAccount straight to the API server over TLS, for kubectl:
   * kubectl sends no bearer token over plain http (the fault proxy's scheme).
   */
  kubectlKubeconfigPath: string;
  /** The real nginx routing the cluster's objects, when traffic.nginx was asked for. */
  nginxUrl?: string;
  /** Resolves once the mirrored store has caught up with the API server (after a command, before reading it). */
  settle(): Promise<void>;
  /** Creates an object as a team would (admin, through the real API), then lets the mirror catch up. */
  create(t: ResourceType, object: KubeObject): Promise<KubeObject>;
  /** Reads, changes and replaces an object with its resourceVersion (retried on 409), then lets the mirror catch up. */
  mutate(t: ResourceType, name: string, change: (object: KubeObject) => void): Promise<KubeObject>;
  /** Deletes an object as a team would (admin; dependants go in the background), then lets the mirror catch up. */
  remove(t: ResourceType, name: string): Promise<void>;
}

export async function startClusterSandbox(
  namespace: string,
  kubeconfigPath: string,
  options: Omit<SandboxOptions, "kubeconfigPath">,
  /** The app whose per-app Role (templates/rbac.yaml) grayctl runs with. */
  app: string,
): Promise<ClusterSandbox> {
  const adminKubeconfig = clusterKubeconfig()!;
  const admin = await adminTarget(adminKubeconfig);
  const stops: (() => Promise<void>)[] = [() => deleteNamespace(admin, namespace)];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => {});
  };
  try {
    const token = await namespaceWithRole(admin, adminKubeconfig, namespace, await appRbac(app));
    const faults = new Faults(options.faults ?? [], options.faultSeed);
    const proxy = await startApiProxy({
      upstream: admin.server,
      caPem: admin.caPem,
      faults,
      onRequest: options.onRequest,
    });
    stops.push(() => proxy.stop());
    await writeKubeconfig(kubeconfigPath, { server: proxy.url, token, namespace });
    const kubectlKubeconfigPath = await writeClusterKubeconfig(`${kubeconfigPath}.kubectl`, {
      server: admin.server,
      caPem: admin.caPem,
      token,
      user: "grayctl",
      namespace,
    });
    const trafficOptions = options.traffic === false ? undefined : options.traffic;
    const traffic = await startClusterTraffic({
      ...trafficOptions,
      kubeconfigPath: adminKubeconfig,
      namespace,
      log: () => {},
    });
    stops.push(() => traffic.stop());
    // The mirror first, then (in nginx mode) nginx reloaded with what it holds.
    const settle = async () => {
      await traffic.mirror.caughtUp(10_000);
      if (traffic.nginxUrl) await traffic.settled(10_000);
    };
    return {
      url: proxy.url,
      kubeconfigPath,
      token,
      frontDoorUrl: options.traffic === false ? undefined : traffic.frontDoorUrl,
      store: traffic.store,
      faults,
      settle,
      kubectlKubeconfigPath,
      nginxUrl: traffic.nginxUrl,
      async create(t, object) {
        const body = { apiVersion: apiVersionOf(t), kind: t.kind, ...object };
        const created = await ok(
          `creating ${t.kind} ${object.metadata.name}`,
          apiCall(admin, "POST", collectionPath(t, namespace), body),
        );
        await settle();
        return created;
      },
      async mutate(t, name, change) {
        const path = `${collectionPath(t, namespace)}/${name}`;
        for (let attempt = 0; ; attempt++) {
          const current = await ok(`reading ${t.kind} ${name}`, apiCall(admin, "GET", path));
          change(current);
          const answer = await apiCall(admin, "PUT", path, current);
          if (answer.status === 409 && attempt < 5) continue;
          if (answer.status !== 200)
            throw new Error(`replacing ${t.kind} ${name}: HTTP ${answer.status} ${answer.body.slice(0, 300)}`);
          await settle();
          return JSON.parse(answer.body);
        }
      },
      async remove(t, name) {
        await ok(
          `deleting ${t.kind} ${name}`,
          apiCall(admin, "DELETE", `${collectionPath(t, namespace)}/${name}`),
          [200, 202],
        );
        await settle();
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** An admin kubeconfig of the same cluster, for kubectl in the suites' checks. */
export async function writeAdminKubeconfig(path: string, namespace: string): Promise<string> {
  const admin = await adminTarget(clusterKubeconfig()!);
  return writeClusterKubeconfig(path, {
    server: admin.server,
    caPem: admin.caPem,
    token: admin.token,
    user: "grayctl-admin",
    namespace,
  });
}

/**
 * On the real cluster: grants the suite's ServiceAccount another app's per-app Role in
 * its namespace (templates/rbac.yaml names each app's state ConfigMap and Lease), for
 * suites that run grayctl for several apps in one namespace.
 */
export async function grantAppRole(namespace: string, app: string): Promise<void> {
  const child = execFile("kubectl", ["--kubeconfig", clusterKubeconfig()!, "-n", namespace, "apply", "-f", "-"]);
  child.stdin?.end(await appRbac(app));
  await new Promise<void>((resolve, reject) =>
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`kubectl apply exited ${code}`)))),
  );
}

/**
 * On the real cluster: applies `rbacYaml` in an existing namespace as admin and
 * writes a kubeconfig for its ServiceAccount `serviceAccount`, pointed at
 * `server` (the suite's recording proxy), so the real authorizer judges that Role.
 */
export async function roleKubeconfig(
  path: string,
  options: { namespace: string; rbacYaml: string; serviceAccount: string; server: string },
): Promise<string> {
  const adminKubeconfig = clusterKubeconfig()!;
  const admin = await adminTarget(adminKubeconfig);
  const child = execFile("kubectl", ["--kubeconfig", adminKubeconfig, "-n", options.namespace, "apply", "-f", "-"]);
  child.stdin?.end(options.rbacYaml);
  await new Promise<void>((resolve, reject) =>
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`kubectl apply exited ${code}`)))),
  );
  const request = { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 7200 } };
  const token = await waitFor(
    `a token for ServiceAccount ${options.namespace}/${options.serviceAccount}`,
    20_000,
    async () => {
      const answer = await apiCall(
        admin,
        "POST",
        `/api/v1/namespaces/${options.namespace}/serviceaccounts/${options.serviceAccount}/token`,
        request,
      );
      return answer.status === 201 ? (JSON.parse(answer.body).status.token as string) : undefined;
    },
  );
  return writeKubeconfig(path, { server: options.server, token, namespace: options.namespace });
}
