// Server-side printing: the real kubectl (v1.32) asks the sandbox for meta.k8s.io
// Tables and prints the columns a real cluster shows, while -o json/-o name still
// get the objects themselves.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { humanDuration } from "../../sandbox/api/table-columns.ts";
import { type Sandbox, startSandbox } from "../../sandbox/index.ts";

const KUBECTL = process.env.KUBECTL ?? "kubectl";
const TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
let sandbox: Sandbox;
let dir: string;

function ok(args: string[], timeoutMs = 20_000): Promise<string> {
  const full = ["--kubeconfig", sandbox.kubeconfigPath, "--cache-dir", join(dir, "cache"), ...args];
  return new Promise((resolve, reject) => {
    execFile(KUBECTL, full, { timeout: timeoutMs, killSignal: "SIGKILL" }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`kubectl ${args.join(" ")}: ${error.message}\n${stderr}`));
      resolve(stdout);
    });
  });
}

/** The output's lines split into cells on runs of 2+ spaces, as kubectl's tabwriter pads them. */
const rows = (out: string) =>
  out
    .trimEnd()
    .split("\n")
    .map((line) => line.trim().split(/\s{2,}/));

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: sandbox.local/demo-app:v1
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {a: "1", b: "2"}
`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "sandbox-table-"));
  await writeFile(join(dir, "app.yaml"), MANIFEST);
  sandbox = await startSandbox({ traffic: false, kubeconfigPath: join(dir, "kubeconfig") });
  await ok(["apply", "-f", join(dir, "app.yaml")]);
  await ok(["rollout", "status", "deployment/web", "--timeout=60s"], 70_000);
});
after(async () => {
  await sandbox?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("kubectl get prints the server's Table columns", { concurrency: false }, () => {
  it("deployments: READY, UP-TO-DATE, AVAILABLE", async () => {
    const [header, web] = rows(await ok(["get", "deploy"]));
    assert.deepEqual(header, ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
    assert.deepEqual(web.slice(0, 4), ["web", "2/2", "2", "2"]);
    assert.match(web[4], /^\d+s$/);
  });

  it("deployments -o wide: CONTAINERS, IMAGES, SELECTOR", async () => {
    const [header, web] = rows(await ok(["get", "deploy", "-o", "wide"]));
    assert.deepEqual(header, ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]);
    assert.deepEqual(web.slice(5), ["app", "sandbox.local/demo-app:v1", "app=web"]);
  });

  it("pods: READY, STATUS, RESTARTS", async () => {
    const [header, ...pods] = rows(await ok(["get", "pods"]));
    assert.deepEqual(header, ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    assert.equal(pods.length, 2);
    for (const pod of pods) {
      assert.match(pod[0], /^web-/);
      assert.deepEqual(pod.slice(1, 4), ["1/1", "Running", "0"]);
    }
  });

  it("services, replicasets and configmaps", async () => {
    const [svcHeader, svc] = rows(await ok(["get", "svc", "web"]));
    assert.deepEqual(svcHeader, ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]);
    assert.equal(svc[1], "ClusterIP");
    assert.match(svc[2], /^10\.96\./);
    assert.deepEqual(svc.slice(3, 5), ["<none>", "80/TCP"]);

    const [rsHeader, rs] = rows(await ok(["get", "rs"]));
    assert.deepEqual(rsHeader, ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]);
    assert.match(rs[0], /^web-/);
    assert.deepEqual(rs.slice(1, 4), ["2", "2", "2"]);

    const [cmHeader, cm] = rows(await ok(["get", "configmap", "settings"]));
    assert.deepEqual(cmHeader, ["NAME", "DATA", "AGE"]);
    assert.deepEqual(cm.slice(0, 2), ["settings", "2"]);
  });

  it("-A and --show-labels read the rows' object metadata", async () => {
    const [header, pod] = rows(await ok(["get", "pods", "-A", "--show-labels"]));
    assert.deepEqual(header, ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "LABELS"]);
    assert.equal(pod[0], "default");
    assert.match(pod[6], /app=web/);
  });

  it("-o json and -o name still get the objects", async () => {
    const deployment = JSON.parse(await ok(["get", "deploy", "web", "-o", "json"]));
    assert.equal(deployment.kind, "Deployment");
    assert.equal(deployment.status.readyReplicas, 2);
    const list = JSON.parse(await ok(["get", "pods", "-o", "json"]));
    assert.equal(list.kind, "List");
    assert.equal(list.items[0].kind, "Pod");
    assert.equal((await ok(["get", "deploy", "-o", "name"])).trim(), "deployment.apps/web");
  });

  it("get -w prints watch events as rows under the same columns", async () => {
    const args = ["--kubeconfig", sandbox.kubeconfigPath, "--cache-dir", join(dir, "cache"), "get", "cm", "-w"];
    const watcher = spawn(KUBECTL, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    watcher.stdout.on("data", (chunk) => {
      output += chunk;
    });
    const deadline = setTimeout(() => watcher.kill("SIGKILL"), 15_000);
    try {
      const settingsRows = () => rows(output).filter((row) => row[0] === "settings");
      const until = Date.now() + 10_000;
      while (settingsRows().length < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      await ok(["label", "configmap", "settings", "watched=yes"]);
      while (settingsRows().length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(rows(output)[0], ["NAME", "DATA", "AGE"]);
      assert.equal(settingsRows().length, 2, output);
      for (const row of settingsRows()) assert.equal(row[1], "2");
    } finally {
      clearTimeout(deadline);
      watcher.kill("SIGKILL");
    }
  });

  it("answers a meta.k8s.io/v1 Table only when Accept asks for one", async () => {
    const get = (path: string, accept: string) =>
      fetch(`${sandbox.url}${path}`, { headers: { accept } }).then((r) => r.json());
    const table = await get("/apis/apps/v1/namespaces/default/deployments", TABLE_ACCEPT);
    assert.equal(table.kind, "Table");
    assert.equal(table.apiVersion, "meta.k8s.io/v1");
    assert.ok(table.metadata.resourceVersion);
    assert.deepEqual(table.columnDefinitions[0], {
      name: "Name",
      type: "string",
      format: "name",
      description: "Name",
      priority: 0,
    });
    assert.equal(table.rows[0].object.kind, "PartialObjectMetadata");
    assert.equal(table.rows[0].object.metadata.name, "web");
    const full = await get("/apis/apps/v1/namespaces/default/deployments/web?includeObject=Object", TABLE_ACCEPT);
    assert.equal(full.rows[0].object.kind, "Deployment");
    assert.equal(
      (await get("/apis/apps/v1/namespaces/default/deployments", "application/json")).kind,
      "DeploymentList",
    );
  });

  it("writes ages as kubectl does", () => {
    const s = 1000;
    assert.equal(humanDuration(-5 * s), "<invalid>");
    assert.equal(humanDuration(119 * s), "119s");
    assert.equal(humanDuration(192 * s), "3m12s");
    assert.equal(humanDuration(600 * s), "10m");
    assert.equal(humanDuration((5 * 3600 + 120) * s), "5h2m");
    assert.equal(humanDuration(30 * 3600 * s), "30h");
    assert.equal(humanDuration(3 * 86400 * s), "3d");
    assert.equal(humanDuration(12 * 86400 * s), "12d");
  });
});
