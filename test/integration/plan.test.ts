// `grayctl plan` and `rollout --dry-run` against the sandbox (and the real
// control plane under npm run test:cluster): zero write requests, counted on
// the API side, every request one that the read-only Role allows (on the real
// cluster grayctl runs as that Role's ServiceAccount, so its authorizer
// judges); and the plan's objects are what the rollout then writes.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { readRbacTemplate } from "../../src/cli/shared/rbac-template.ts";
import { parseAllDocuments } from "yaml";
import { R, type ResourceType } from "../../sandbox/resources.ts";
import { classify } from "../helpers/api-requests.ts";
import { roleKubeconfig } from "../helpers/cluster-sandbox.ts";
import { runCli } from "../helpers/cli.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const CONFIG = `app: planned
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: planned.local
rollout:
  steps: [{ weight: 50, pause: manual }, { weight: 100, pause: manual }]
  interval: 1s
  readyTimeout: 20s
  progressDeadline: 2m
`;

interface Change {
  action: string;
  kind: string;
  name: string;
  object: Record<string, unknown>;
  diff: string[];
}
interface Plan {
  outcome: string;
  kind: string;
  image: string;
  steps: { weight: number; canaryReplicas: number; stableReplicas: number }[];
  phases: { phase: string; changes: Change[] }[];
  gates: { gate: string }[];
}

/** templates/rbac-readonly.yaml for this suite's app, as a team fills it in. */
const readOnlyYaml = () => readRbacTemplate("rbac-readonly.yaml", "planned");
const requests: { method: string; url: string }[] = [];
let app: SandboxApp;
/** grayctl as the read-only ServiceAccount on the real cluster; the suite's own kubeconfig on the sandbox (no authorizer). */
let readOnlyKubeconfig: string;

before(async () => {
  app = await startSandboxApp(CONFIG, { onRequest: (method, url) => requests.push({ method, url }) });
  readOnlyKubeconfig = app.onCluster
    ? await roleKubeconfig(join(app.dir, "kubeconfig-readonly"), {
        namespace: app.namespace,
        rbacYaml: await readOnlyYaml(),
        serviceAccount: "grayctl-readonly",
        server: app.sandbox.url,
      })
    : app.sandbox.kubeconfigPath;
});
after(async () => {
  await app.stop();
});

async function readOnlyRules() {
  const docs = parseAllDocuments(await readOnlyYaml()).map((d) => d.toJS());
  return docs.find((d) => d.kind === "Role").rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
}

/** Runs plan (or rollout --dry-run) as the read-only identity; returns its JSON result and the requests it made. */
async function plan(args: string[]): Promise<{ result: Plan; made: { method: string; url: string }[] }> {
  const from = requests.length;
  const run = await runCli(["--kubeconfig", readOnlyKubeconfig, "--config", app.configPath, ...args, "-o", "json"], {
    cwd: app.dir,
    timeoutMs: 60_000,
  });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const made = requests.slice(from);
  const rules = await readOnlyRules();
  assert.ok(made.length > 0, "the plan read the cluster");
  for (const request of made) {
    assert.equal(request.method, "GET", `plan sent ${request.method} ${request.url}`);
    const call = classify(request.method, request.url);
    if (!call) continue;
    const allowed = rules.some(
      (rule) =>
        rule.apiGroups.includes(call.group) && rule.resources.includes(call.resource) && rule.verbs.includes(call.verb),
    );
    assert.ok(allowed, `the read-only Role does not allow ${call.verb} ${call.group}/${call.resource}`);
  }
  return { result: JSON.parse(run.stdout.trim().split("\n").at(-1)!), made };
}

const TYPES: Record<string, ResourceType> = {
  Deployment: R.deployments,
  Service: R.services,
  Ingress: R.ingresses,
};

/** The first place where `actual` lacks or differs from what `expected` says; undefined when it holds all of it. */
function missing(expected: unknown, actual: unknown, path = ""): string | undefined {
  if (expected === null || typeof expected !== "object") {
    return expected === actual
      ? undefined
      : `${path}: planned ${JSON.stringify(expected)}, cluster ${JSON.stringify(actual)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return `${path}: planned ${expected.length} items`;
    for (const [i, item] of expected.entries()) {
      const found = missing(item, actual[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (actual === null || typeof actual !== "object") return `${path}: missing in the cluster`;
  for (const [key, value] of Object.entries(expected)) {
    const found = missing(value, (actual as Record<string, unknown>)[key], `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
}

function assertWritten(changes: Change[]) {
  for (const change of changes) {
    const type = TYPES[change.kind];
    assert.ok(type, `a change of an unexpected kind ${change.kind}`);
    const actual = app.sandbox.store.get(type, app.namespace, change.name);
    assert.ok(actual, `${change.kind} ${change.name} was planned but is not in the cluster`);
    const gap = missing(change.object, actual);
    assert.equal(gap, undefined, `${change.kind} ${change.name}: ${gap}`);
  }
}

test("before anything is deployed: the plan is a first deploy, and the objects it shows are the ones the rollout creates", async () => {
  const { result } = await plan(["plan", "--image", demoImage("v1")]);
  assert.equal(result.outcome, "planned");
  assert.equal(result.kind, "first-deploy");
  const deploy = result.phases.find((p) => p.phase === "deploy")!;
  assert.deepEqual(deploy.changes.map((c) => `${c.action} ${c.kind} ${c.name}`).sort(), [
    "create Deployment planned",
    "create Ingress planned",
    "create Ingress planned-canary",
    "create Service planned",
    "create Service planned-canary",
    "create Service planned-stable",
  ]);
  assert.equal(app.sandbox.store.get(R.deployments, app.namespace, "planned"), undefined, "nothing was created");
  const rollout = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(rollout.code, 0, rollout.stderr);
  assertWritten(deploy.changes);
});

test("a canary: zero writes, steps with replicas per track, the diff of each object, and the rollout then writes exactly that", async () => {
  const { result } = await plan(["plan", "--image", demoImage("v2")]);
  assert.equal(result.kind, "canary");
  assert.deepEqual(
    result.steps.map((s) => [s.weight, s.canaryReplicas, s.stableReplicas]),
    [
      [50, 1, 2],
      [100, 2, 2],
    ],
  );
  const [firstStep, later, promotion] = result.phases;
  assert.deepEqual(
    result.phases.map((p) => p.phase),
    ["first step", "later steps", "promotion"],
  );
  assert.equal(firstStep.phase, "first step");
  const canary = firstStep.changes.find((c) => c.kind === "Deployment" && c.name === "planned-canary")!;
  assert.equal(canary.action, "create");
  assert.ok(canary.diff.some((line) => line.startsWith("+ ") && line.includes(demoImage("v2"))));
  const route = firstStep.changes.find((c) => c.kind === "Ingress" && c.name === "planned-canary")!;
  assert.equal(route.action, "update");
  assert.ok(route.diff.includes('-     nginx.ingress.kubernetes.io/canary-weight: "0"'), route.diff.join("\n"));
  assert.ok(route.diff.includes('+     nginx.ingress.kubernetes.io/canary-weight: "50"'), route.diff.join("\n"));
  const stable = promotion.changes.find((c) => c.kind === "Deployment" && c.name === "planned")!;
  assert.ok(stable.diff.some((line) => line.startsWith("- ") && line.includes(demoImage("v1"))));
  assert.ok(stable.diff.some((line) => line.startsWith("+ ") && line.includes(demoImage("v2"))));
  assert.ok(result.gates.some((g) => g.gate === "health"));
  assert.equal(app.sandbox.store.get(R.deployments, app.namespace, "planned-canary"), undefined, "nothing was created");

  // rollout --dry-run is the same plan.
  const dry = await plan(["rollout", "--dry-run", "--image", demoImage("v2")]);
  assert.deepEqual(dry.result.phases, result.phases);

  const paused = await app.grayctl(["rollout", "--image", demoImage("v2")]);
  assert.equal(paused.code, 4, paused.stderr);
  assertWritten(firstStep.changes);
  const step2 = await app.grayctl(["promote"]);
  assert.equal(step2.code, 4, step2.stderr);
  assertWritten(later.changes);
  const promoted = await app.grayctl(["promote"]);
  assert.equal(promoted.code, 0, promoted.stderr);
  assertWritten(promotion.changes);
});

test("plan for the image stable runs: nothing to do, no object changes", async () => {
  const { result } = await plan(["plan", "--image", demoImage("v2")]);
  assert.equal(result.kind, "unchanged");
  assert.deepEqual(result.phases, []);
});

test("the gates are shown rendered for canary and stable: PromQL, a web gate's request, a command gate's argv", async () => {
  const sets = [
    "--set",
    "analysis.metrics={provider: prometheus, prometheus: {url: 'http://127.0.0.1:9'}, checks: [{name: error-rate, max: 0.01}]}",
    "--set",
    `analysis.checks=[{name: smoke, command: [sh, -c, 'exit 0']}, {name: dd, url: 'http://127.0.0.1:9/q?app={{app}}&track={{track}}', value: '$.v', max: 1}]`,
  ];
  const { result } = await plan(["plan", "--image", demoImage("v3"), ...sets]);
  const gates = result.gates as unknown as {
    gate: string;
    rule: string;
    queries?: { canary: string; stable: string };
  }[];
  assert.deepEqual(
    gates.map((g) => g.gate),
    ["health", "smoke", "dd", "error-rate"],
  );
  const errorRate = gates.find((g) => g.gate === "error-rate")!;
  assert.match(
    errorRate.queries!.canary,
    /http_requests_total\{namespace="[^"]+",app="planned",track="canary"\}\[1s\]/,
  );
  assert.match(errorRate.queries!.stable, /track="stable"/);
  const web = gates.find((g) => g.gate === "dd")!;
  assert.equal(web.queries!.canary, "GET http://127.0.0.1:9/q?app=planned&track=canary");
  assert.equal(web.queries!.stable, "GET http://127.0.0.1:9/q?app=planned&track=stable");
  assert.match(gates.find((g) => g.gate === "smoke")!.rule, /\["sh","-c","exit 0"\]/);
});

test("what rollout refuses before writing (an object of the app's that grayctl cannot adopt), plan refuses too: exit 2, naming it", async () => {
  const config = join(app.dir, "clash.yaml");
  const yaml = CONFIG.replace("app: planned", "app: clash").replace("planned.local", "clash.local");
  await writeFile(config, yaml.replace("namespace: default", `namespace: ${app.namespace}`));
  await app.create(R.services, {
    metadata: { name: "clash", labels: { team: "payments" } },
    spec: { selector: { run: "clash" }, ports: [{ port: 80, targetPort: 8080 }] },
  });
  const from = requests.length;
  const run = await runCli(
    ["--kubeconfig", readOnlyKubeconfig, "--config", config, "plan", "--image", demoImage("v1")],
    { cwd: app.dir, timeoutMs: 60_000 },
  );
  assert.equal(run.code, 2, run.stderr + run.stdout);
  assert.match(run.stderr, /Service clash/);
  assert.deepEqual(
    requests.slice(from).filter((r) => r.method !== "GET"),
    [],
  );
});
