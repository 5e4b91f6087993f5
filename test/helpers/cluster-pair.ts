// Two real control planes side by side (issue 22's acceptance): the test run's
// cluster and a second one started on its own bridge and pod range
// (scripts/start-cluster.mjs), the same namespace in each with the app's Role
// (templates/rbac.yaml), and one kubeconfig with a context per cluster whose
// users are those Roles' ServiceAccounts — grayctl never runs as admin. Checks
// read each cluster with the real kubectl as admin.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { type ApiTarget, apiCall, waitFor } from "../../cluster/api.ts";
import { adminTarget, appRbac, namespaceWithRole } from "./cluster-sandbox.ts";

const run = promisify(execFile);

export interface RealCluster {
  /** The context name in the pair's kubeconfig. */
  name: string;
  adminKubeconfig: string;
  admin: ApiTarget;
}

export async function realCluster(name: string, adminKubeconfig: string): Promise<RealCluster> {
  return { name, adminKubeconfig, admin: await adminTarget(adminKubeconfig) };
}

/** kubectl as admin in `namespace`, with a deadline; stdout parsed as JSON. */
// biome-ignore lint/suspicious/noExplicitAny: kubectl's JSON is read field by field
export async function kubectlJson(cluster: RealCluster, namespace: string, args: string[]): Promise<any> {
  const { stdout } = await run(
    "kubectl",
    ["--kubeconfig", cluster.adminKubeconfig, "-n", namespace, ...args, "-o", "json"],
    {
      timeout: 30_000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return JSON.parse(stdout);
}

/** Applies `rbacYaml` in `namespace` with kubectl as admin and returns a token of its ServiceAccount. */
async function roleToken(cluster: RealCluster, namespace: string, rbacYaml: string, serviceAccount: string) {
  const child = execFile("kubectl", ["--kubeconfig", cluster.adminKubeconfig, "-n", namespace, "apply", "-f", "-"], {
    timeout: 30_000,
  });
  child.stdin?.end(rbacYaml);
  await new Promise<void>((resolve, reject) =>
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`kubectl apply exited ${code}`)))),
  );
  const request = { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 7200 } };
  return waitFor(`a token for ServiceAccount ${namespace}/${serviceAccount} in ${cluster.name}`, 20_000, async () => {
    const answer = await apiCall(
      cluster.admin,
      "POST",
      `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
      request,
    );
    return answer.status === 201 ? (JSON.parse(answer.body).status.token as string) : undefined;
  });
}

export interface Context {
  name: string;
  cluster: RealCluster;
  token: string;
  namespace: string;
}

/** `namespace` in `cluster` with the Role of `app`; the context of its ServiceAccount. */
export async function appNamespace(cluster: RealCluster, namespace: string, app: string): Promise<Context> {
  const token = await namespaceWithRole(cluster.admin, cluster.adminKubeconfig, namespace, await appRbac(app));
  return { name: cluster.name, cluster, token, namespace };
}

/** The guard's Role (what `grayctl guard install` prints, without the CronJob) in an existing namespace; its context. */
export async function guardContext(cluster: RealCluster, namespace: string, rbacYaml: string, name: string) {
  return { name, cluster, token: await roleToken(cluster, namespace, rbacYaml, "grayctl-guard"), namespace };
}

/** One kubeconfig with a context per entry, straight to each API server over TLS with its CA. */
export async function writePairKubeconfig(path: string, contexts: Context[]): Promise<string> {
  await writeFile(
    path,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: contexts.map((c) => ({
        name: c.name,
        cluster: {
          server: c.cluster.admin.server,
          "certificate-authority-data": Buffer.from(c.cluster.admin.caPem).toString("base64"),
        },
      })),
      users: contexts.map((c) => ({ name: c.name, user: { token: c.token } })),
      contexts: contexts.map((c) => ({
        name: c.name,
        context: { cluster: c.name, user: c.name, namespace: c.namespace },
      })),
      "current-context": contexts[0].name,
    }),
    { mode: 0o600 },
  );
  return path;
}
