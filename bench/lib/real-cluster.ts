// The real control plane (`npm run cluster`) as a target of the status and
// rollback-inflight cases, set up as the real-cluster suites do
// (test/helpers/cluster-sandbox.ts): a fresh namespace with templates/rbac.yaml
// applied, grayctl and kubectl both acting as that Role's ServiceAccount (a
// TokenRequest token), straight to the API server over TLS — the timed path.
// A mirror of the namespace (sandbox/mirror.ts) sees writes as the API server's
// watch serves them: the moment of the router write. API requests are counted
// in separate runs through the fault proxy (sandbox/api-proxy.ts, no faults)
// and its onRequest; kubectl sends no bearer token over plain http, so a front
// on loopback adds the ServiceAccount's token before the proxy. The Role gets
// one rule more than templates/rbac.yaml: the deployments/scale subresource,
// which the baseline's `kubectl scale` uses and grayctl does not. There is no
// latency knob here: the cluster's own latency is what it is. The namespace
// is deleted when the bench stops. GRAYCTL_BENCH_TRACE=1 prints each counted request.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { apiCall } from "../../cluster/api.ts";
import { writeClusterKubeconfig } from "../../cluster/kubeconfig.ts";
import { startApiProxy } from "../../sandbox/api-proxy.ts";
import { writeKubeconfig } from "../../sandbox/kubeconfig.ts";
import { mirrorCluster } from "../../sandbox/mirror.ts";
import { R } from "../../sandbox/resources.ts";
import { adminTarget, deleteNamespace, namespaceWithRole, testNamespace } from "../../test/helpers/cluster-sandbox.ts";
import { type BenchTarget, commandRunners } from "./cluster.ts";
import { type Stats, stats } from "./measure.ts";

export const REAL_CLUSTER_LATENCY =
  "the per-request API latency knob (--latencies) does not apply to the real cluster: its own latency is what it is";

const RBAC = new URL("../../templates/rbac.yaml", import.meta.url);

/**
 * grayctl's Role, plus what the manual sequence's `kubectl scale` needs (grayctl merge-patches the Deployment).
 * The benchmarks run several apps in one namespace, so the per-app names (resourceNames) are dropped here.
 */
async function rbacWithScale(): Promise<string> {
  const documents = parseAllDocuments(await readFile(RBAC, "utf8")).map((document) => document.toJS());
  const role = documents.find((document) => document.kind === "Role");
  if (!role) throw new Error(`${RBAC.pathname} has no Role`);
  for (const rule of role.rules) delete rule.resourceNames;
  role.rules.push({ apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["get", "patch", "update"] });
  return documents.map((document) => stringify(document)).join("---\n");
}

export const countNote = (runs: number) =>
  `requests counted in ${runs} separate runs after a warm-up, through the fault proxy's onRequest (sandbox/api-proxy.ts); the timed runs go straight to the API server over TLS`;

export interface RealBenchCluster extends BenchTarget {
  name: "real cluster";
  server: string;
  serverVersion: string;
  /** GETs of `path` as the ServiceAccount from this process, after one that opens the connection: the cluster's own per-request latency. */
  roundTrip(path: string, samples: number): Promise<Stats>;
}

export async function startRealBenchCluster(adminKubeconfig: string): Promise<RealBenchCluster> {
  const admin = await adminTarget(adminKubeconfig);
  const version = await apiCall(admin, "GET", "/version");
  if (version.status !== 200) throw new Error(`${admin.server}/version: HTTP ${version.status} ${version.body}`);
  const namespace = testNamespace("bench");
  const dir = await mkdtemp(join(tmpdir(), "grayctl-bench-cluster-"));
  const stops: (() => Promise<unknown>)[] = [
    () => rm(dir, { recursive: true, force: true }),
    () => deleteNamespace(admin, namespace),
  ];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => {});
  };
  try {
    const token = await namespaceWithRole(admin, adminKubeconfig, namespace, await rbacWithScale());
    const direct = await writeClusterKubeconfig(join(dir, "kubeconfig"), {
      server: admin.server,
      caPem: admin.caPem,
      token,
      user: "grayctl",
      namespace,
    });
    let requests = 0;
    const proxy = await startApiProxy({
      upstream: admin.server,
      caPem: admin.caPem,
      onRequest: (method, url, userAgent) => {
        requests++;
        if (process.env.GRAYCTL_BENCH_TRACE) console.log(`counted: ${method} ${url} (${userAgent})`);
      },
    });
    stops.push(() => proxy.stop());
    const front = await startTokenFront(proxy.url, token);
    stops.push(() => front.stop());
    const countingKubeconfig = await writeKubeconfig(join(dir, "counting.kubeconfig"), {
      server: front.url,
      token,
      namespace,
    });
    const mirror = mirrorCluster({
      kubeconfigPath: adminKubeconfig,
      namespace,
      resources: [R.ingresses, R.configmaps],
      log: () => {},
    });
    stops.push(() => mirror.stop());
    await mirror.synced;

    const writeConfig = async (name: string, yaml: string) => {
      const file = join(dir, `${name}.yaml`);
      await writeFile(file, `namespace: ${namespace}\n${yaml}`);
      return file;
    };
    const counter: BenchTarget = {
      name: "real cluster",
      namespace,
      store: mirror.store,
      dir,
      async counting(act) {
        const before = requests;
        const value = await act();
        return { value, requests: requests - before };
      },
      async counted(act) {
        const { value, requests } = await counter.counting(act);
        return { run: value, requests };
      },
      writeConfig,
      ...commandRunners(countingKubeconfig, dir),
      // The real cluster's stop stops the counting path too.
      stop: async () => {},
    };
    const saTarget = { server: admin.server, caPem: admin.caPem, token };
    const cluster: RealBenchCluster = {
      name: "real cluster",
      namespace,
      store: mirror.store,
      dir,
      server: admin.server,
      serverVersion: (JSON.parse(version.body) as { gitVersion?: string }).gitVersion ?? "unknown",
      // Straight to the API server: not counted.
      counting: async (act) => ({ value: await act() }),
      counted: async (act) => ({ run: await act() }),
      writeConfig,
      ...commandRunners(direct, dir),
      counter,
      async roundTrip(path, samples) {
        const times: number[] = [];
        for (let i = 0; i <= samples; i++) {
          const started = performance.now();
          const answer = await apiCall(saTarget, "GET", path);
          if (answer.status !== 200) throw new Error(`GET ${path}: HTTP ${answer.status}`);
          if (i > 0) times.push(performance.now() - started); // the first opens the connection
        }
        return stats(times);
      },
      stop,
    };
    return cluster;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Passes requests on to `upstream` (plain http), adding the bearer token a client did not send. */
async function startTokenFront(upstream: string, token: string) {
  const target = new URL(upstream);
  const server = createServer((req, res) => {
    const headers = { ...req.headers, authorization: req.headers.authorization ?? `Bearer ${token}` };
    const outgoing = request(
      { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    outgoing.on("error", (error) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" }).end(`front: ${error.message}`);
      else res.destroy(error);
    });
    res.on("close", () => outgoing.destroy());
    req.pipe(outgoing);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
