// The real kubectl (v1.32) against the sandbox, with the real pod runtime: apply,
// get, rollout status, scale, patch, replace conflicts, watch, pod proxy, delete.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Sandbox, startSandbox } from "../../sandbox/index.ts";

const KUBECTL = process.env.KUBECTL ?? "kubectl";
let sandbox: Sandbox;
let dir: string;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(args: string[], timeoutMs = 20_000): Promise<Result> {
  const full = ["--kubeconfig", sandbox.kubeconfigPath, "--cache-dir", join(dir, "cache"), ...args];
  return new Promise((resolve, reject) => {
    execFile(KUBECTL, full, { timeout: timeoutMs, killSignal: "SIGKILL" }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number")
        return reject(new Error(`kubectl ${args.join(" ")}: ${error.message}\n${stderr}`));
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

async function ok(args: string[], timeoutMs?: number): Promise<string> {
  const result = await kubectl(args, timeoutMs);
  assert.equal(result.code, 0, `kubectl ${args.join(" ")} failed:\n${result.stderr}`);
  return result.stdout;
}

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: sandbox.local/demo-app:v1
        ports:
        - containerPort: 8080
        readinessProbe:
          httpGet: {path: /healthz, port: 8080}
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "sandbox-kubectl-"));
  await writeFile(join(dir, "app.yaml"), MANIFEST);
  sandbox = await startSandbox({ traffic: false, kubeconfigPath: join(dir, "kubeconfig") });
});
after(async () => {
  await sandbox.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("kubectl against the sandbox", { concurrency: false }, () => {
  it("applies a Deployment and a Service, and re-applies a change", async () => {
    const out = await ok(["apply", "-f", join(dir, "app.yaml")]);
    assert.match(out, /deployment.apps\/web created/);
    assert.match(out, /service\/web created/);
    assert.match(await ok(["apply", "-f", join(dir, "app.yaml")]), /deployment.apps\/web unchanged/);
  });

  it("gets the Deployment as JSON, with defaults filled in", async () => {
    const deployment = JSON.parse(await ok(["get", "deployment", "web", "-o", "json"]));
    assert.equal(deployment.kind, "Deployment");
    assert.equal(deployment.spec.replicas, 2);
    assert.equal(deployment.spec.strategy.type, "RollingUpdate");
    assert.ok(deployment.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]);
  });

  it("waits for the rollout to finish", async () => {
    const out = await ok(["rollout", "status", "deployment/web", "--timeout=60s"], 70_000);
    assert.match(out, /successfully rolled out/);
  });

  it("reaches a pod's process through the pod proxy", async () => {
    const pods = JSON.parse(await ok(["get", "pods", "-l", "app=web", "-o", "json"]));
    assert.equal(pods.items.length, 2);
    const name = pods.items[0].metadata.name;
    const answer = await ok(["get", "--raw", `/api/v1/namespaces/default/pods/${name}:8080/proxy/healthz`]);
    assert.ok(answer.length > 0);
    const version = await ok(["get", "--raw", "/api/v1/namespaces/default/services/web:80/proxy/"]);
    assert.match(version, /v1/);
  });

  it("shows a pod's logs", async () => {
    const name = (await ok(["get", "pods", "-l", "app=web", "-o", "jsonpath={.items[0].metadata.name}"])).trim();
    const result = await kubectl(["logs", name, "--tail=50"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /listening on 127\.0\.0\.1/, "the demo app's startup line");
  });

  it("scales through the scale subresource", async () => {
    assert.match(await ok(["scale", "deployment/web", "--replicas=3"]), /scaled/);
    assert.equal(await ok(["get", "deployment", "web", "-o", "jsonpath={.spec.replicas}"]), "3");
  });

  it("patches with a merge patch", async () => {
    await ok(["patch", "deployment", "web", "--type", "merge", "-p", '{"metadata":{"labels":{"patched":"yes"}}}']);
    assert.equal(await ok(["get", "deployment", "web", "-o", "jsonpath={.metadata.labels.patched}"]), "yes");
  });

  it("refuses a replace with a stale resourceVersion", async () => {
    const current = await ok(["get", "deployment", "web", "-o", "yaml"]);
    await writeFile(join(dir, "stale.yaml"), current);
    await ok(["label", "deployment", "web", "bump=1"]);
    const result = await kubectl(["replace", "-f", join(dir, "stale.yaml")]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Conflict/);
    assert.match(result.stderr, /the object has been modified/);
  });

  it("sees a change with get --watch", async () => {
    const args = ["--kubeconfig", sandbox.kubeconfigPath, "--cache-dir", join(dir, "cache")];
    const watcher = spawn(KUBECTL, [...args, "get", "configmaps", "--watch", "-o", "name"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    watcher.stdout.on("data", (chunk) => {
      output += chunk;
    });
    const deadline = setTimeout(() => watcher.kill("SIGKILL"), 15_000);
    try {
      // Give the watch time to be established, then change something it must see.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await writeFile(
        join(dir, "cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: watched\ndata:\n  a: '1'\n",
      );
      await ok(["apply", "-f", join(dir, "cm.yaml")]);
      const until = Date.now() + 10_000;
      while (!output.includes("configmap/watched") && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      assert.match(output, /configmap\/watched/);
    } finally {
      clearTimeout(deadline);
      watcher.kill("SIGKILL");
    }
  });

  it("deletes the Deployment, its pods with it", async () => {
    assert.match(await ok(["delete", "deployment", "web"]), /deployment.apps "web" deleted/);
    const missing = await kubectl(["get", "deployment", "web"]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /NotFound/);
    const until = Date.now() + 15_000;
    let pods = "";
    do {
      pods = await ok(["get", "pods", "-l", "app=web", "-o", "name"]);
      if (pods.trim() === "") break;
      await new Promise((r) => setTimeout(r, 200));
    } while (Date.now() < until);
    assert.equal(pods.trim(), "");
  });
});
