// The real control plane as kubectl sees it: the server version built from
// cluster/go.mod, a Deployment and Service of demo-app rolled out by the real
// controllers, the Service's EndpointSlice published with the pods' IPs, and
// the API server's service proxy reaching them.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { adminTarget, clusterKubeconfig, deleteNamespace, testNamespace } from "../helpers/cluster-sandbox.ts";
import { demoImage, eventually } from "../helpers/sandbox-app.ts";

const ADMIN = clusterKubeconfig();
const NAMESPACE = testNamespace("plane");
const run = promisify(execFile);
const kubectl = async (args: string[], input?: string) => {
  if (input === undefined) return (await run("/usr/bin/kubectl", ["--kubeconfig", ADMIN!, ...args])).stdout;
  const child = execFile("/usr/bin/kubectl", ["--kubeconfig", ADMIN!, ...args]);
  child.stdin?.end(input);
  let out = "";
  child.stdout?.on("data", (chunk) => (out += chunk));
  const code = await new Promise((resolve) => child.on("close", resolve));
  assert.equal(code, 0, `kubectl ${args.join(" ")}`);
  return out;
};

before(async () => {
  if (!ADMIN) throw new Error("GRAYCTL_TEST_CLUSTER is not set: run these through `npm run test:cluster`");
  await kubectl(["create", "namespace", NAMESPACE]);
});
after(async () => {
  if (ADMIN) await deleteNamespace(await adminTarget(ADMIN), NAMESPACE);
});

test("kubectl version shows the Kubernetes version cluster/go.mod builds", async () => {
  const goMod = await readFile(new URL("../../cluster/go.mod", import.meta.url), "utf8");
  const built = /k8s\.io\/kubernetes (v\d+\.\d+\.\d+)/.exec(goMod)?.[1];
  const version = JSON.parse(await kubectl(["version", "-o", "json"]));
  assert.equal(version.serverVersion.gitVersion, built);
});

test("a Deployment and Service of demo-app v1 roll out; the EndpointSlice lists the pod IPs; the service proxy answers", async () => {
  const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: ${NAMESPACE} }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: ${demoImage("v1")}
          ports: [{ containerPort: 8080 }]
          readinessProbe: { httpGet: { path: /healthz, port: 8080 }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${NAMESPACE} }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
`;
  await kubectl(["apply", "-f", "-"], manifest);
  await kubectl(["-n", NAMESPACE, "rollout", "status", "deployment/web", "--timeout=120s"]);
  const pods = JSON.parse(await kubectl(["-n", NAMESPACE, "get", "pods", "-l", "app=web", "-o", "json"])).items;
  const podIps = pods.map((p: { status: { podIP: string } }) => p.status.podIP).sort();
  assert.equal(podIps.length, 2);
  assert.ok(
    podIps.every((ip: string) => /^10\.244\./.test(ip)),
    `pod IPs from the agent's range: ${podIps}`,
  );
  const sliceIps = await eventually("the EndpointSlice to list both pods", async () => {
    const slices = JSON.parse(
      await kubectl(["-n", NAMESPACE, "get", "endpointslices", "-l", "kubernetes.io/service-name=web", "-o", "json"]),
    ).items;
    const ready = slices
      .flatMap((s: { endpoints?: { addresses: string[]; conditions: { ready?: boolean } }[] }) => s.endpoints ?? [])
      .filter((e: { conditions: { ready?: boolean } }) => e.conditions.ready)
      .flatMap((e: { addresses: string[] }) => e.addresses)
      .sort();
    return ready.length === 2 ? ready : undefined;
  });
  assert.deepEqual(sliceIps, podIps);
  const answer = await kubectl(["get", "--raw", `/api/v1/namespaces/${NAMESPACE}/services/web:80/proxy/healthz`]);
  assert.match(answer, /ok/);
});
