// Starts the official components from the multi-call binary, one process each:
// etcd (temp data dir), kube-apiserver on 127.0.0.1 with Node,RBAC
// authorization and static tokens, kube-controller-manager and kube-scheduler
// under their own bootstrap identities. Flags follow what controller-runtime's
// envtest and kwok use for a one-node local control plane.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort } from "../sandbox/runtime/ports.ts";
import { type ApiTarget, apiCall, waitFor } from "./api.ts";
import { writeClusterKubeconfig } from "./kubeconfig.ts";
import { type Component, logTail, startComponent } from "./processes.ts";
import { type Identity, identity, writeServiceAccountKeys, writeTokenFile } from "./pki.ts";

export const SERVICE_CIDR = "10.96.0.0/16";

export interface ControlPlaneOptions {
  binary: string;
  /** A fresh directory for data, certificates, tokens and logs. */
  dir: string;
  /** Nodes whose agents need a system:node identity. */
  nodeNames: string[];
  /** Called after each component is up, with how long it took. */
  onStarted?: (what: string, ms: number) => void;
}

export interface ControlPlane {
  server: string;
  caPem: string;
  admin: ApiTarget;
  /** Identities by user name (system:node:NAME, admin). */
  identities: Map<string, Identity>;
  components: Component[];
  /** Rejects when any component dies before stop(). */
  crashed: Promise<never>;
  stop(): Promise<void>;
}

function etcdArgs(dir: string, clientPort: number, peerPort: number): string[] {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    "--name=grayctl",
    `--data-dir=${join(dir, "etcd")}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=grayctl=${peer}`,
    // A throwaway test cluster: durability costs seconds per write on a busy disk.
    "--unsafe-no-fsync",
    "--log-level=warn",
  ];
}

/**
 * The CA of the bundle kube-apiserver wrote (its serving certificate first, the
 * self-signed CA after it): what clients trust, and what the controller
 * manager publishes as the root CA (a serving certificate there is rejected
 * by the ClusterTrustBundle publisher: "does not have the CA bit set").
 */
function caOf(bundle: string): string {
  const blocks = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length < 2) throw new Error("kube-apiserver's certificate bundle has no CA");
  return `${blocks.at(-1)}\n`;
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const { binary, dir } = options;
  const components: Component[] = [];
  const stop = async () => {
    for (const component of components.reverse()) await component.stop();
    components.length = 0;
  };
  const timed = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work();
    options.onStarted?.(what, performance.now() - started);
    return result;
  };
  const launch = (name: string, args: string[]) => {
    const component = startComponent(binary, name, args, join(dir, `${name}.log`));
    components.push(component);
    return component;
  };
  try {
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const keys = await writeServiceAccountKeys(dir);
    const admin = identity("grayctl-admin", ["system:masters"]);
    const controllerManager = identity("system:kube-controller-manager", []);
    const scheduler = identity("system:kube-scheduler", []);
    const nodes = options.nodeNames.map((name) => identity(`system:node:${name}`, ["system:nodes"]));
    const all = [admin, controllerManager, scheduler, ...nodes];
    await writeTokenFile(join(dir, "tokens.csv"), all);

    const etcd = launch("etcd", etcdArgs(dir, etcdClient, etcdPeer));
    await timed("etcd", () =>
      waitFor("etcd /health", 30_000, async () => {
        await Promise.race([etcd.exited, new Promise((r) => setTimeout(r, 0))]);
        const res = await fetch(`http://127.0.0.1:${etcdClient}/health`, { signal: AbortSignal.timeout(2000) });
        return res.ok ? true : undefined;
      }),
    );

    const certDir = join(dir, "certs");
    const apiserver = launch("kube-apiserver", [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--cert-dir=${certDir}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${keys.publicKey}`,
      `--service-account-signing-key-file=${keys.privateKey}`,
      "--authorization-mode=Node,RBAC",
      `--token-auth-file=${join(dir, "tokens.csv")}`,
      "--endpoint-reconciler-type=none",
      "--allow-privileged=true",
    ]);
    const server = `https://127.0.0.1:${apiPort}`;
    // kube-apiserver writes a self-signed serving certificate and its CA into --cert-dir.
    const caPem = await timed("kube-apiserver", async () => {
      const pem = await waitFor("kube-apiserver to write its serving certificate", 60_000, async () => {
        await Promise.race([apiserver.exited, new Promise((r) => setTimeout(r, 0))]);
        const bundle = await readFile(join(certDir, "apiserver.crt"), "utf8").catch(() => "");
        return (bundle.match(/-----END CERTIFICATE-----/g)?.length ?? 0) >= 2 ? bundle : undefined;
      });
      const target = { server, caPem: pem, token: admin.token };
      await waitFor("kube-apiserver /readyz", 90_000, async () => {
        await Promise.race([apiserver.exited, new Promise((r) => setTimeout(r, 0))]);
        return (await apiCall(target, "GET", "/readyz", undefined, 5000)).status === 200 ? true : undefined;
      });
      return caOf(pem);
    });
    const caFile = join(dir, "ca.crt");
    await writeFile(caFile, caPem);
    const adminTarget: ApiTarget = { server, caPem, token: admin.token };

    const kubeconfigFor = (id: Identity) =>
      writeClusterKubeconfig(join(dir, `${id.user.replaceAll(":", "-")}.kubeconfig`), {
        server,
        caPem,
        token: id.token,
        user: id.user,
      });
    launch("kube-controller-manager", [
      `--kubeconfig=${await kubeconfigFor(controllerManager)}`,
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
      "--secure-port=0",
      "--use-service-account-credentials=true",
      `--service-account-private-key-file=${keys.privateKey}`,
      `--root-ca-file=${caFile}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      // The HPA controller checks every 15 s by default; 2 s lets a test see it act
      // (it keeps a target inside minReplicas..maxReplicas: there is no metrics API here).
      "--horizontal-pod-autoscaler-sync-period=2s",
    ]);
    launch("kube-scheduler", [
      `--kubeconfig=${await kubeconfigFor(scheduler)}`,
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
      "--secure-port=0",
    ]);
    // The ServiceAccount controller creates "default" in each namespace; pods need it to be admitted.
    await timed("kube-controller-manager and kube-scheduler", () =>
      waitFor("the default ServiceAccount in namespace default", 60_000, async () => {
        for (const c of components) await Promise.race([c.exited, new Promise((r) => setTimeout(r, 0))]);
        const answer = await apiCall(adminTarget, "GET", "/api/v1/namespaces/default/serviceaccounts/default");
        return answer.status === 200 ? true : undefined;
      }),
    );
    return {
      server,
      caPem,
      admin: adminTarget,
      identities: new Map(all.map((id) => [id.user, id])),
      components,
      // exited rejects only on a crash; a stopped component resolves it.
      crashed: new Promise<never>((_, reject) => {
        for (const c of components) c.exited.catch(reject);
      }),
      stop,
    };
  } catch (error) {
    const logs = components.map((c) => `--- ${c.name} (${c.logFile}):\n${logTail(c.logFile, 8)}`).join("\n");
    await stop();
    throw new Error(`${(error as Error).message}\n${logs}`);
  }
}
