// The real authorizer judges templates/rbac.yaml: with one verb removed from the
// Role, grayctl (as the Role's ServiceAccount) fails with exit 2 and a message
// naming the verb and the resource it lacks, never a stack trace; with the
// whole Role, the same first deploy succeeds.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parseAllDocuments, stringify } from "yaml";
import { apiCall } from "../../cluster/api.ts";
import { writeClusterKubeconfig } from "../../cluster/kubeconfig.ts";
import { runCli } from "../helpers/cli.ts";
import {
  adminTarget,
  clusterKubeconfig,
  deleteNamespace,
  namespaceWithRole,
  testNamespace,
} from "../helpers/cluster-sandbox.ts";
import { demoImage } from "../helpers/sandbox-app.ts";

const ADMIN = clusterKubeconfig();
const RBAC = new URL("../../templates/rbac.yaml", import.meta.url);
let dir: string;
const namespaces: string[] = [];

before(async () => {
  if (!ADMIN) throw new Error("GRAYCTL_TEST_CLUSTER is not set: run these through `npm run test:cluster`");
  dir = await mkdtemp(join(tmpdir(), "grayctl-rbac-"));
});
after(async () => {
  if (ADMIN) {
    const admin = await adminTarget(ADMIN);
    await Promise.all(namespaces.map((ns) => deleteNamespace(admin, ns)));
  }
  await rm(dir, { recursive: true, force: true });
});

/** templates/rbac.yaml with one verb taken off one resource's rule. */
async function roleWithout(resource: string, verb: string): Promise<string> {
  const documents = parseAllDocuments(await readFile(RBAC, "utf8")).map((doc) => doc.toJS());
  const role = documents.find((doc) => doc.kind === "Role");
  const rule = role.rules.find((r: { resources: string[] }) => r.resources.includes(resource));
  assert.ok(rule?.verbs.includes(verb), `the Role grants ${verb} on ${resource}`);
  rule.verbs = rule.verbs.filter((v: string) => v !== verb);
  return documents.map((doc) => stringify(doc)).join("---\n");
}

/** templates/rbac.yaml without the rule for `resource`: a Role applied before grayctl needed it. */
async function roleWithoutRule(resource: string): Promise<string> {
  const documents = parseAllDocuments(await readFile(RBAC, "utf8")).map((doc) => doc.toJS());
  const role = documents.find((doc) => doc.kind === "Role");
  const before = role.rules.length;
  role.rules = role.rules.filter((r: { resources: string[] }) => !r.resources.includes(resource));
  assert.equal(role.rules.length, before - 1, `the Role has a rule for ${resource}`);
  return documents.map((doc) => stringify(doc)).join("---\n");
}

/** A first deploy of demo-app v1 as the ServiceAccount bound to the given Role (then `more` images, if any). */
async function firstDeploy(rbacYaml: string | undefined, more: string[] = [], manifest?: string) {
  const admin = await adminTarget(ADMIN!);
  const namespace = testNamespace("rbac");
  namespaces.push(namespace);
  const token = await namespaceWithRole(admin, ADMIN!, namespace, rbacYaml);
  let deployment = "";
  if (manifest) {
    const path = join(dir, `${namespace}.deployment.yaml`);
    await writeFile(path, manifest);
    deployment = `deployment:\n  manifest: ${path}\n`;
    // The Secret the manifest refers to, made by the team (admin), as grayctl finds it.
    const secret = { metadata: { name: "shop-token" }, data: { token: Buffer.from("s3cret").toString("base64") } };
    const made = await apiCall(admin, "POST", `/api/v1/namespaces/${namespace}/secrets`, secret);
    assert.equal(made.status, 201, made.body);
  }
  const kubeconfig = await writeClusterKubeconfig(join(dir, `${namespace}.kubeconfig`), {
    server: admin.server,
    caPem: admin.caPem,
    token,
    user: "grayctl",
    namespace,
  });
  const config = join(dir, `${namespace}.yaml`);
  await writeFile(
    config,
    `app: shop\nnamespace: ${namespace}\n${deployment}traffic:\n  router: nginx\n  host: shop.local\nrollout:\n  steps: [100]\n  interval: 1s\n  scaleDownDelay: 0s\n`,
  );
  const rollout = (image: string) =>
    runCli(["--kubeconfig", kubeconfig, "--config", config, "rollout", "--image", image], {
      timeoutMs: 120_000,
      env: { GRAYCTL_ACTOR: "test-runner" },
    });
  let result = await rollout(demoImage("v1"));
  for (const tag of more) if (result.code === 0) result = await rollout(demoImage(tag));
  return result;
}

for (const [resource, verb, qualified] of [
  ["leases", "create", "leases.coordination.k8s.io"],
  ["deployments", "create", "deployments.apps"],
  ["services", "create", "services"],
  ["ingresses", "create", "ingresses.networking.k8s.io"],
] as const) {
  test(`without "${verb}" on ${resource}: exit 2 naming the verb and the resource, no stack trace`, async () => {
    const result = await firstDeploy(await roleWithout(resource, verb));
    assert.equal(result.code, 2, result.stderr + result.stdout);
    assert.match(
      result.stderr,
      new RegExp(
        `permission denied: system:serviceaccount:\\S+:grayctl cannot ${verb} ${qualified.replaceAll(".", "\\.")} in namespace`,
      ),
    );
    assert.match(result.stderr, new RegExp(`needs verb "${verb}" on resource "${resource}"`));
    assert.doesNotMatch(result.stderr + result.stdout, /internal error|\n\s+at /);
  });
}

test("with the whole Role the same first deploy succeeds", async () => {
  const result = await firstDeploy(undefined);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.match(result.stdout, /deployed sandbox\.local\/demo-app:v1/);
});

test("a Role from before grayctl read HorizontalPodAutoscalers: the rollout warns and goes on, treating stable as not autoscaled", async () => {
  const result = await firstDeploy(await roleWithoutRule("horizontalpodautoscalers"), ["v2"]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.match(result.stdout, /promoted sandbox\.local\/demo-app:v2/);
  assert.match(result.stderr, /cannot list HorizontalPodAutoscalers \(forbidden\).*templates\/rbac\.yaml/);
});

test("a Role from before grayctl read Secrets: the rollout warns, names the Secret, and goes on", async () => {
  const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: { name: shop }
spec:
  selector: { matchLabels: { app: shop } }
  template:
    metadata: { labels: { app: shop } }
    spec:
      containers:
        - name: shop
          image: placeholder
          ports: [{ name: http, containerPort: 8080 }]
          env:
            - name: TOKEN
              valueFrom: { secretKeyRef: { name: shop-token, key: token } }
          readinessProbe: { httpGet: { path: /healthz, port: 8080 }, periodSeconds: 1 }
`;
  const result = await firstDeploy(await roleWithoutRule("secrets"), ["v2"], manifest);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.match(result.stdout, /promoted sandbox\.local\/demo-app:v2/);
  assert.match(result.stderr, /cannot get Secret shop-token \(forbidden\).*templates\/rbac\.yaml/);
  assert.doesNotMatch(result.stderr + result.stdout, /s3cret|czNjcmV0/);
});
