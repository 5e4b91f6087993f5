// The real authorizer judges templates/rbac.yaml: with one verb removed from the
// Role, grayctl (as the Role's ServiceAccount) fails with exit 2 and a message
// naming the verb and the resource it lacks, never a stack trace; with the
// whole Role, the same first deploy succeeds. The Role is per app (issue 23):
// a full rollout, promotion, status, plan and rollback work under it, and it is
// refused writing another app's state ConfigMap and reading or writing its
// Lease; the read-only Role reads only its app's Lease and lists no ConfigMap,
// and shows a release across targets from its record (status/history --all).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parseAllDocuments, stringify } from "yaml";
import { type ApiTarget, apiCall } from "../../cluster/api.ts";
import { writeClusterKubeconfig } from "../../cluster/kubeconfig.ts";
import { readRbacTemplate } from "../../src/cli/shared/rbac-template.ts";
import { runCli } from "../helpers/cli.ts";
import {
  adminTarget,
  appRbac,
  clusterKubeconfig,
  deleteNamespace,
  namespaceWithRole,
  testNamespace,
} from "../helpers/cluster-sandbox.ts";
import { demoImage } from "../helpers/sandbox-app.ts";

const ADMIN = clusterKubeconfig();
const READONLY = "rbac-readonly.yaml";
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

/** templates/rbac.yaml for app shop with one verb taken off one resource's rule. */
async function roleWithout(resource: string, verb: string): Promise<string> {
  const documents = parseAllDocuments(await appRbac("shop")).map((doc) => doc.toJS());
  const role = documents.find((doc) => doc.kind === "Role");
  const rule = role.rules.find(
    (r: { resources: string[]; verbs: string[] }) => r.resources.includes(resource) && r.verbs.includes(verb),
  );
  assert.ok(rule?.verbs.includes(verb), `the Role grants ${verb} on ${resource}`);
  rule.verbs = rule.verbs.filter((v: string) => v !== verb);
  // A rule left with no verb is invalid (the API refuses it): drop it, as an older Role would not have it.
  if (rule.verbs.length === 0) role.rules = role.rules.filter((r: unknown) => r !== rule);
  return documents.map((doc) => stringify(doc)).join("---\n");
}

/** templates/rbac.yaml without the rule for `resource`: a Role applied before grayctl needed it. */
async function roleWithoutRule(resource: string): Promise<string> {
  const documents = parseAllDocuments(await appRbac("shop")).map((doc) => doc.toJS());
  const role = documents.find((doc) => doc.kind === "Role");
  const before = role.rules.length;
  role.rules = role.rules.filter((r: { resources: string[] }) => !r.resources.includes(resource));
  assert.equal(role.rules.length, before - 1, `the Role has a rule for ${resource}`);
  return documents.map((doc) => stringify(doc)).join("---\n");
}

/** A fresh namespace with app shop's Role (or the given one); grayctl's kubeconfig and configuration for it. */
async function shopNamespace(rbacYaml?: string, manifest?: string) {
  const admin = await adminTarget(ADMIN!);
  const namespace = testNamespace("rbac");
  namespaces.push(namespace);
  const token = await namespaceWithRole(admin, ADMIN!, namespace, rbacYaml ?? (await appRbac("shop")));
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
  const grayctl = (args: string[]) =>
    runCli(["--kubeconfig", kubeconfig, "--config", config, ...args], {
      timeoutMs: 120_000,
      env: { GRAYCTL_ACTOR: "test-runner" },
    });
  return { admin, namespace, token, kubeconfig, config, grayctl };
}

/** A first deploy of demo-app v1 as the ServiceAccount bound to the given Role (then `more` images, if any). */
async function firstDeploy(rbacYaml: string | undefined, more: string[] = [], manifest?: string) {
  const { grayctl } = await shopNamespace(rbacYaml, manifest);
  const rollout = (image: string) => grayctl(["rollout", "--image", image]);
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

/** What the real authorizer answers `as` for a request: the HTTP status. */
async function statusOf(as: ApiTarget, method: string, path: string, body?: unknown): Promise<number> {
  return (await apiCall(as, method, path, body)).status;
}

const configMap = (namespace: string, name: string) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace },
  data: { state: "{}" },
});
const lease = (namespace: string, name: string) => ({
  apiVersion: "coordination.k8s.io/v1",
  kind: "Lease",
  metadata: { name, namespace },
  spec: { holderIdentity: "someone-else", leaseDurationSeconds: 30 },
});

test("the per-app Role: a full rollout, promotion, status, plan and rollback of its app work; another app's ConfigMap and Lease are refused", async () => {
  const { admin, namespace, token, grayctl } = await shopNamespace();
  // Another app of the same namespace, written by its own pipeline (here: admin).
  const cm = `/api/v1/namespaces/${namespace}/configmaps`;
  const leases = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;
  assert.equal(await statusOf(admin, "POST", cm, configMap(namespace, "other-grayctl")), 201);
  assert.equal(await statusOf(admin, "POST", leases, lease(namespace, "other-grayctl")), 201);

  const runs: [string[], number][] = [
    [["rollout", "--image", demoImage("v1")], 0],
    [["rollout", "--image", demoImage("v2")], 0],
    [["status"], 0],
    [["history"], 0],
    [["plan", "--image", demoImage("v3")], 0],
    [["rollback"], 0],
  ];
  for (const [args, code] of runs) {
    const result = await grayctl(args);
    assert.equal(result.code, code, `${args.join(" ")}: ${result.stderr}${result.stdout}`);
    assert.doesNotMatch(result.stderr, /permission denied|forbidden/i, args.join(" "));
  }

  const shop: ApiTarget = { ...admin, token };
  const ownLease = await apiCall(shop, "GET", `${leases}/shop-grayctl`);
  assert.notEqual(ownLease.status, 403, "its own Lease is readable");
  // get on ConfigMaps stays namespace-wide: the pod template's ConfigMaps are read by name (decision 031).
  for (const [method, path, body] of [
    ["PUT", `${cm}/other-grayctl`, configMap(namespace, "other-grayctl")],
    ["DELETE", `${cm}/other-grayctl`],
    ["GET", cm],
    ["GET", `${leases}/other-grayctl`],
    ["PUT", `${leases}/other-grayctl`, lease(namespace, "other-grayctl")],
    ["DELETE", `${leases}/other-grayctl`],
  ] as const) {
    assert.equal(await statusOf(shop, method, path, body), 403, `${method} ${path} as shop's Role`);
  }
  // grayctl for the other app, with shop's Role: refused by name, exit 2, nothing changed.
  const other = await grayctl(["--set", "app=other", "rollback", "--force"]);
  assert.equal(other.code, 2, other.stderr + other.stdout);
  assert.match(other.stderr, /permission denied: .* cannot \w+ leases\.coordination\.k8s\.io/);
  assert.equal(await statusOf(admin, "GET", `${leases}/other-grayctl`), 200, "the other app's Lease is still there");
});

test("the per-app read-only Role: plan and status of its app work; another app's Lease and listing ConfigMaps are refused", async () => {
  const { admin, namespace, config, grayctl } = await shopNamespace();
  assert.equal((await grayctl(["rollout", "--image", demoImage("v1")])).code, 0);
  const cm = `/api/v1/namespaces/${namespace}/configmaps`;
  const leases = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;
  assert.equal(await statusOf(admin, "POST", leases, lease(namespace, "other-grayctl")), 201);
  const token = await readOnlyToken(admin, namespace);
  const readonly = await writeClusterKubeconfig(join(dir, `${namespace}-readonly.kubeconfig`), {
    server: admin.server,
    caPem: admin.caPem,
    token,
    user: "grayctl-readonly",
    namespace,
  });
  for (const args of [["plan", "--image", demoImage("v2")], ["status"]]) {
    const result = await runCli(["--kubeconfig", readonly, "--config", config, ...args], { timeoutMs: 60_000 });
    assert.equal(result.code, 0, `${args.join(" ")}: ${result.stderr}${result.stdout}`);
  }
  const reader: ApiTarget = { ...admin, token };
  assert.equal(await statusOf(reader, "GET", `${cm}/shop-grayctl`), 200);
  assert.equal(await statusOf(reader, "GET", cm), 403, "no list of the namespace's ConfigMaps");
  // A job that only looks (a pull request's plan) reads no other ConfigMap and no Secret (issue 23).
  const other = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "team-config" }, data: { key: "value" } };
  assert.equal(await statusOf(admin, "POST", cm, other), 201);
  assert.equal(await statusOf(reader, "GET", `${cm}/team-config`), 403, "another ConfigMap, by name");
  const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "team-secret" }, stringData: { key: "value" } };
  assert.equal(await statusOf(admin, "POST", `/api/v1/namespaces/${namespace}/secrets`, secret), 201);
  assert.equal(await statusOf(reader, "GET", `/api/v1/namespaces/${namespace}/secrets/team-secret`), 403, "a Secret");
  assert.equal(await statusOf(reader, "GET", `${leases}/other-grayctl`), 403, "another app's Lease");
  assert.equal(await statusOf(reader, "GET", leases), 403, "no list of the namespace's Leases");
});

/** templates/rbac-readonly.yaml for shop applied in `namespace` (as a team does); a token of its ServiceAccount. */
async function readOnlyToken(admin: ApiTarget, namespace: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    const child = execFile("kubectl", ["--kubeconfig", ADMIN!, "-n", namespace, "apply", "-f", "-"], (error) =>
      error ? reject(error) : resolve(),
    );
    readRbacTemplate(READONLY, "shop").then((text) => child.stdin?.end(text), reject);
  });
  const request = { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600 } };
  const path = `/api/v1/namespaces/${namespace}/serviceaccounts/grayctl-readonly/token`;
  const answer = await apiCall(admin, "POST", path, request);
  assert.equal(answer.status, 201, answer.body);
  return JSON.parse(answer.body).status.token as string;
}

/** One kubeconfig with a context per target (a, b): the same cluster, each with its namespace's token. */
async function targetsKubeconfig(admin: ApiTarget, name: string, tokens: Record<"a" | "b", string>): Promise<string> {
  const names = ["a", "b"] as const;
  const cluster = { server: admin.server, "certificate-authority-data": Buffer.from(admin.caPem).toString("base64") };
  const path = join(dir, `${name}.kubeconfig`);
  const kubeconfig = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "cluster", cluster }],
    users: names.map((n) => ({ name: n, user: { token: tokens[n] } })),
    contexts: names.map((n) => ({ name: n, context: { cluster: "cluster", user: n } })),
    "current-context": "a",
  };
  await writeFile(path, stringify(kubeconfig), { mode: 0o600 });
  return path;
}

test("the per-app read-only Role: status --all and history --all show the release across targets from its record", async () => {
  // Two targets: the same cluster, two namespaces, each with app shop's Role; the record is in a's.
  const [a, b] = [await shopNamespace(), await shopNamespace()];
  const config = join(dir, `${a.namespace}-targets.yaml`);
  await writeFile(
    config,
    `app: shop
traffic: { router: nginx, host: shop.local }
rollout: { steps: [100], interval: 1s, scaleDownDelay: 0s }
targets:
  - { name: a, context: a, namespace: ${a.namespace} }
  - { name: b, context: b, namespace: ${b.namespace} }
waves:
  - { targets: [a] }
  - { targets: [b] }
`,
  );
  const run = (kubeconfig: string, args: string[]) =>
    runCli(["--kubeconfig", kubeconfig, "--config", config, ...args], {
      timeoutMs: 120_000,
      env: { GRAYCTL_ACTOR: "test-runner", KUBECONFIG: undefined as unknown as string },
    });
  // The release, by the deploy job (the app's Role in each namespace).
  const deployer = await targetsKubeconfig(a.admin, `${a.namespace}-deploy`, { a: a.token, b: b.token });
  const released = await run(deployer, ["rollout", "--image", demoImage("v1")]);
  assert.equal(released.code, 0, released.stderr + released.stdout);

  // A job that only looks: the read-only Role in each namespace, nothing else.
  const [ra, rb] = await Promise.all([readOnlyToken(a.admin, a.namespace), readOnlyToken(a.admin, b.namespace)]);
  const reader = await targetsKubeconfig(a.admin, `${a.namespace}-readonly`, { a: ra, b: rb });
  const image = demoImage("v1").replaceAll(".", "\\.");
  const status = await run(reader, ["status", "--all"]);
  assert.equal(status.code, 0, status.stderr + status.stdout);
  assert.match(status.stdout, new RegExp(`^shop: release \\S+ of ${image}: promoted in wave 2/2`, "m"), status.stdout);
  const history = await run(reader, ["history", "--all"]);
  assert.equal(history.code, 0, history.stderr + history.stdout);
  assert.match(history.stdout, /^releases across the targets \(newest first; record in target a\):$/m, history.stdout);
  assert.match(history.stdout, new RegExp(`^  \\S+  promoted +wave 2/2  ${image}  by test-runner$`, "m"));
  for (const result of [status, history])
    assert.doesNotMatch(result.stderr + result.stdout, /could not be read|forbidden|permission denied/i);
});
