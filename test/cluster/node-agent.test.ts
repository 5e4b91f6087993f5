// The node agent (this cluster's kubelet) judged by the real control plane: the
// official kube-apiserver, controller manager and scheduler, driven with the
// real kubectl. Needs the cluster running (`npm run cluster -- --kubeconfig FILE`,
// as root) and GRAYCTL_TEST_CLUSTER=FILE (its admin kubeconfig).
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { demoImage } from "../helpers/sandbox-app.ts";

const KUBECONFIG = process.env.GRAYCTL_TEST_CLUSTER;
const KUBECTL = "/usr/bin/kubectl";
const NAMESPACE = `node-agent-${randomBytes(3).toString("hex")}`;
const GRACE_S = 10;

// biome-ignore lint/suspicious/noExplicitAny: objects from kubectl -o json
type Json = any;

function kubectl(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      KUBECTL,
      ["--kubeconfig", KUBECONFIG ?? "", ...args],
      { timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`kubectl ${args.join(" ")}: ${stderr.trim() || error.message}`));
        else resolve(stdout);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

const getJson = async (args: string[]): Promise<Json> => JSON.parse(await kubectl([...args, "-o", "json"]));

/** Polls (every 500 ms: each kubectl call costs a process) until check() returns a value. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = ` (last: ${(error as Error).message})`;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const isReady = (pod: Json) =>
  pod.status?.conditions?.some((c: Json) => c.type === "Ready" && c.status === "True") === true;

function deployment(name: string, replicas: number): string {
  return JSON.stringify({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: NAMESPACE },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: GRACE_S,
          containers: [
            {
              name: "app",
              image: demoImage("v1"),
              ports: [{ name: "http", containerPort: 8080 }],
              readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  });
}

before(async () => {
  if (!KUBECONFIG)
    throw new Error(
      "GRAYCTL_TEST_CLUSTER is not set: start the real control plane with `npm run cluster -- --kubeconfig FILE` (as root) and set GRAYCTL_TEST_CLUSTER=FILE",
    );
  await kubectl(["create", "namespace", NAMESPACE]);
  // The ServiceAccount controller creates "default" in the namespace; pods are refused until it exists.
  await eventually(
    "the default ServiceAccount",
    async () =>
      (await kubectl(["get", "serviceaccount", "default", "-n", NAMESPACE, "-o", "name"])).trim() || undefined,
  );
});

after(async () => {
  if (KUBECONFIG) await kubectl(["delete", "namespace", NAMESPACE, "--wait=false"]).catch(() => {});
});

test("the agent's Node is Ready, untainted, and its Lease is renewed", async () => {
  const nodes = (await getJson(["get", "nodes"])).items;
  const ready = nodes.filter((n: Json) =>
    n.status.conditions.some((c: Json) => c.type === "Ready" && c.status === "True"),
  );
  assert.ok(ready.length > 0, `no Ready node among ${nodes.map((n: Json) => n.metadata.name).join(", ") || "none"}`);
  const node = ready[0];
  assert.equal(node.metadata.labels["kubernetes.io/os"], "linux");
  assert.equal(node.metadata.labels["kubernetes.io/hostname"], node.metadata.name);
  assert.equal(node.status.capacity.pods, "110");
  assert.deepEqual(
    node.status.conditions
      .filter((c: Json) => c.type !== "Ready")
      .map((c: Json) => `${c.type}=${c.status}`)
      .sort(),
    ["DiskPressure=False", "MemoryPressure=False", "PIDPressure=False"],
  );
  assert.ok(
    node.status.addresses.some((a: Json) => a.type === "InternalIP"),
    "the node reports an InternalIP",
  );
  // TaintNodesByCondition taints a new node not-ready; the node lifecycle controller lifts it once Ready.
  await eventually("the not-ready taint to be lifted", async () => {
    const taints = (await getJson(["get", "node", node.metadata.name])).spec.taints ?? [];
    return taints.length === 0 ? true : undefined;
  });
  const lease = await getJson(["get", "lease", node.metadata.name, "-n", "kube-node-lease"]);
  const age = Date.now() - Date.parse(lease.spec.renewTime);
  assert.ok(age < 25_000, `lease renewed ${age} ms ago (every 10 s expected)`);
});

test("a Deployment of demo-app v1 with a readinessProbe becomes available on real pod IPs, reachable through the pod proxy", async () => {
  await kubectl(["apply", "-f", "-"], { input: deployment("web", 2) });
  await kubectl(["rollout", "status", "deployment/web", "-n", NAMESPACE, "--timeout=120s"], { timeoutMs: 130_000 });
  const pods = (await getJson(["get", "pods", "-n", NAMESPACE, "-l", "app=web"])).items;
  assert.equal(pods.length, 2);
  const ips = pods.map((p: Json) => p.status.podIP);
  assert.equal(new Set(ips).size, 2, `two pods, two addresses: ${ips}`);
  for (const pod of pods) {
    assert.ok(isReady(pod), `${pod.metadata.name} Ready`);
    assert.doesNotMatch(pod.status.podIP, /^127\./, "a pod IP the API server's proxy accepts");
    assert.deepEqual(pod.status.podIPs, [{ ip: pod.status.podIP }]);
    assert.ok(pod.status.hostIP && pod.status.startTime, "hostIP and startTime reported");
    const [container] = pod.status.containerStatuses;
    assert.equal(container.ready, true);
    assert.equal(container.started, true);
    assert.equal(container.restartCount, 0);
    assert.ok(container.state.running?.startedAt, JSON.stringify(container.state));
    assert.ok(container.imageID && container.containerID, "imageID and containerID reported");
    assert.deepEqual(
      pod.status.conditions
        .filter((c: Json) => ["PodScheduled", "Initialized", "ContainersReady", "Ready"].includes(c.type))
        .map((c: Json) => `${c.type}=${c.status}`)
        .sort(),
      ["ContainersReady=True", "Initialized=True", "PodScheduled=True", "Ready=True"],
    );
  }
  const name = pods[0].metadata.name;
  const healthz = await kubectl(["get", "--raw", `/api/v1/namespaces/${NAMESPACE}/pods/${name}:8080/proxy/healthz`]);
  assert.equal(healthz, "ok\n");
  const root = await kubectl(["get", "--raw", `/api/v1/namespaces/${NAMESPACE}/pods/${name}:8080/proxy/`]);
  assert.equal(root, "v1\n");
});

test("a deleted pod is replaced by the ReplicaSet controller and gone within its grace period", async () => {
  const running = (await getJson(["get", "pods", "-n", NAMESPACE, "-l", "app=web"])).items;
  assert.equal(running.length, 2, "the Deployment of the previous test is running");
  const victim = running[0].metadata.name;
  // Every version of the pod until it is gone: deletionTimestamp and Ready, one line each.
  const watcher = spawn(
    KUBECTL,
    [
      ...["--kubeconfig", KUBECONFIG ?? "", "get", "pod", victim, "-n", NAMESPACE, "--watch", "-o"],
      'jsonpath={.metadata.deletionTimestamp} Ready={.status.conditions[?(@.type=="Ready")].status}{"\\n"}',
    ],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  let seen = "";
  watcher.stdout.on("data", (chunk) => {
    seen += chunk;
  });
  let goneAfter: number;
  try {
    await eventually("the watch to show the pod", async () => (seen.includes("Ready=True") ? true : undefined), 10_000);
    const deletedAt = Date.now();
    await kubectl(["delete", "pod", victim, "-n", NAMESPACE, "--wait=false"]);
    await eventually(
      `${victim} to be gone`,
      async () => {
        const names = (await kubectl(["get", "pods", "-n", NAMESPACE, "-o", "name"])).split("\n");
        return names.includes(`pod/${victim}`) ? undefined : true;
      },
      (GRACE_S + 5) * 1000,
    );
    goneAfter = Date.now() - deletedAt;
  } finally {
    watcher.kill();
  }
  assert.ok(goneAfter < GRACE_S * 1000, `gone after ${goneAfter} ms, within its ${GRACE_S} s grace period`);
  assert.match(seen, /^\S+ Ready=False$/m, `marked not ready while terminating; the watch saw:\n${seen}`);
  const replaced = await eventually("two Ready pods again, the deleted one not among them", async () => {
    const pods = (await getJson(["get", "pods", "-n", NAMESPACE, "-l", "app=web"])).items;
    return pods.length === 2 && pods.every(isReady) ? pods : undefined;
  });
  assert.ok(!replaced.some((p: Json) => p.metadata.name === victim));
});

test("a crashing image is restarted with back-off: restartCount > 0 and CrashLoopBackOff", async () => {
  await kubectl(["run", "crash", "-n", NAMESPACE, `--image=${demoImage("v3-crash1")}`, "--port=8080"]);
  const status = await eventually("the crash pod to be in CrashLoopBackOff after a restart", async () => {
    const pod = await getJson(["get", "pod", "crash", "-n", NAMESPACE]);
    const container = pod.status.containerStatuses?.[0];
    return container?.restartCount > 0 && container.state.waiting?.reason === "CrashLoopBackOff"
      ? container
      : undefined;
  });
  assert.equal(status.ready, false);
  assert.equal(status.lastState.terminated?.exitCode, 1, JSON.stringify(status.lastState));
  assert.equal(status.lastState.terminated?.reason, "Error");
  const pod = await getJson(["get", "pod", "crash", "-n", NAMESPACE]);
  assert.equal(pod.status.phase, "Running", "a pod that restarts its container stays Running");
  assert.ok(!isReady(pod));
});
