// The real authorizer judges the Role `grayctl guard install` writes (issue 20):
// with one verb the guard's pass uses taken off, the pass against an orphaned
// rollout fails with exit 2 and a message naming the verb and the resource,
// never a stack trace; with the whole Role the same pass rolls it back. One
// orphan (SIGKILL at 25 %) serves every verb: the verbs are taken off in the
// order the pass uses them, so each pass fails at the first write the previous
// one had not reached, and the rollback is finished by the last pass.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parse, parseAllDocuments, stringify } from "yaml";
import { R } from "../../sandbox/resources.ts";
import { runCli } from "../helpers/cli.ts";
import { clusterKubeconfig, roleKubeconfig } from "../helpers/cluster-sandbox.ts";
import { demoImage, eventually, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const CONFIG = `app: shop
namespace: default
deployment:
  replicas: 1
traffic:
  router: nginx
  host: shop.local
rollout:
  steps: [25, 100]
  interval: 1m
  readyTimeout: 30s
  leaseDuration: 2s
`;

let app: SandboxApp;
let dir: string;
let server: string;
let installed: Record<string, unknown>[];

before(async () => {
  if (!clusterKubeconfig())
    throw new Error("GRAYCTL_TEST_CLUSTER is not set: run these through `npm run test:cluster`");
  app = await startSandboxApp(CONFIG);
  dir = await mkdtemp(join(tmpdir(), "grayctl-guard-rbac-"));
  server = parse(await readFile(app.sandbox.kubeconfigPath, "utf8")).clusters[0].cluster.server;
  const printed = await runCli(["-n", app.namespace, "guard", "install"]);
  assert.equal(printed.code, 0, printed.stderr);
  // The CronJob is left out: no guard pod runs here, the test runs each pass itself.
  installed = parseAllDocuments(printed.stdout)
    .map((doc) => doc.toJS())
    .filter((doc) => doc.kind !== "CronJob");
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr + first.stdout);
  const child = app.spawn(["rollout", "--image", demoImage("v2")]);
  await eventually("the rollout at 25 %", () => app.state()?.weight === 25, 60_000);
  child.kill("SIGKILL");
  await child.done;
});
after(async () => {
  await app?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The installed Role with `verb` taken off `resource` (or whole), applied; a pass as its ServiceAccount. */
async function passWithRole(without?: { resource: string; verb: string }) {
  const documents = structuredClone(installed) as {
    kind: string;
    rules?: { resources: string[]; verbs: string[] }[];
  }[];
  if (without) {
    const rule = documents
      .find((doc) => doc.kind === "Role")
      ?.rules?.find((r) => r.resources.includes(without.resource));
    assert.ok(rule?.verbs.includes(without.verb), `the guard's Role grants ${without.verb} on ${without.resource}`);
    rule!.verbs = rule!.verbs.filter((verb) => verb !== without.verb);
  }
  const kubeconfig = await roleKubeconfig(
    join(dir, `${without?.verb ?? "all"}-${without?.resource ?? ""}.kubeconfig`),
    {
      namespace: app.namespace,
      rbacYaml: documents.map((doc) => stringify(doc)).join("---\n"),
      serviceAccount: "grayctl-guard",
      server,
    },
  );
  return runCli(["--kubeconfig", kubeconfig, "-n", app.namespace, "guard", "--grace", "0s"], {
    cwd: dir,
    timeoutMs: 60_000,
    env: { GRAYCTL_ACTOR: "guard" },
  });
}

// In the order a rollback pass uses them: list the records, take the Lease, read the record,
// route to stable (nginx), record the rollback, scale the canary down.
for (const [resource, verb, qualified] of [
  ["configmaps", "list", "configmaps"],
  ["leases", "get", "leases.coordination.k8s.io"],
  ["leases", "update", "leases.coordination.k8s.io"],
  ["configmaps", "get", "configmaps"],
  ["ingresses", "patch", "ingresses.networking.k8s.io"],
  ["configmaps", "update", "configmaps"],
  ["deployments", "patch", "deployments.apps"],
] as const) {
  test(`the guard's Role without "${verb}" on ${resource}: exit 2 naming the verb and the resource`, async () => {
    const result = await passWithRole({ resource, verb });
    assert.equal(result.code, 2, result.stderr + result.stdout);
    assert.match(
      result.stderr,
      new RegExp(
        `permission denied: system:serviceaccount:\\S+:grayctl-guard cannot ${verb} ${qualified.replaceAll(".", "\\.")}`,
      ),
    );
    assert.match(result.stderr, new RegExp(`needs verb "${verb}" on resource "${resource}"`));
    assert.doesNotMatch(result.stderr + result.stdout, /internal error|\n\s+at /);
  });
}

test("with the whole Role the pass rolls the orphan back", async () => {
  const result = await passWithRole();
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.match(result.stdout, /1 rolled back/);
  assert.equal(app.history().at(-1)?.outcome, "rolled-back");
  const weight = app.sandbox.store.get(R.ingresses, app.namespace, "shop-canary")?.metadata.annotations?.[
    "nginx.ingress.kubernetes.io/canary-weight"
  ];
  assert.equal(Number(weight ?? 0), 0);
});

test("guard install --apply creates the objects through the real API server, and replaces them on a second run", async () => {
  // A schedule that does not come round while the suite runs: the CronJob controller starts no guard pod here.
  const apply = (image: string) =>
    runCli(
      [
        "--kubeconfig",
        clusterKubeconfig()!,
        "-n",
        app.namespace,
        "guard",
        "install",
        "--apply",
        "--schedule",
        "0 0 1 1 *",
        "--image",
        image,
      ],
      { cwd: dir, timeoutMs: 60_000 },
    );
  const first = await apply("registry.example/grayctl:1");
  assert.equal(first.code, 0, first.stderr + first.stdout);
  assert.match(first.stderr + first.stdout, /CronJob grayctl-guard (created|replaced)/);
  const second = await apply("registry.example/grayctl:2");
  assert.equal(second.code, 0, second.stderr + second.stdout);
  for (const kind of ["ServiceAccount", "Role", "RoleBinding", "CronJob"])
    assert.match(second.stderr + second.stdout, new RegExp(`${kind} grayctl-guard replaced`));
  const kubectl = await import("node:child_process").then(({ execFileSync }) =>
    execFileSync(
      "kubectl",
      ["--kubeconfig", clusterKubeconfig()!, "-n", app.namespace, "get", "cronjob", "grayctl-guard", "-o", "json"],
      { encoding: "utf8" },
    ),
  );
  const cron = JSON.parse(kubectl);
  assert.equal(cron.spec.schedule, "0 0 1 1 *");
  assert.equal(cron.spec.jobTemplate.spec.template.spec.containers[0].image, "registry.example/grayctl:2");
  assert.equal(cron.spec.jobTemplate.spec.template.spec.serviceAccountName, "grayctl-guard");
});
