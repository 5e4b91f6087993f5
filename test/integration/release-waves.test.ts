// issue 22: one release across several clusters in waves. Two sandboxes (two
// API servers, each with its own pods) behind one kubeconfig with a context each,
// and a third context pointing at a closed port; the built grayctl runs as a user
// would. Each target's stable Deployment and recorded history are read from its
// own sandbox's store.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Sandbox } from "../../sandbox/index.ts";
import { R } from "../../sandbox/resources.ts";
import { jsonEvents, spawnCli } from "../helpers/cli.ts";
import { demoImage, eventually } from "../helpers/sandbox-app.ts";
import { startTargetSandboxes, type TargetSandboxes } from "../helpers/target-sandboxes.ts";

let targets: TargetSandboxes;
let a: Sandbox;
let b: Sandbox;
let dir: string;
let kubeconfig: string;

before(async () => {
  targets = await startTargetSandboxes(["a", "b"]);
  ({ a, b } = targets.sandboxes);
  ({ dir, kubeconfig } = targets);
});

after(() => targets?.stop());

const BASE = `app: shop
deployment: { replicas: 1 }
rollout: { steps: [50, 100], interval: 1s, readyTimeout: 6s, progressDeadline: 1m, scaleDownDelay: 0s }
`;

/** A configuration of targets a and b (plus `extra`), wave 1 = [a], wave 2 = the rest. */
function release(options: { bSet?: string; onWaveFailure?: string; extra?: string; wave2?: string } = {}): string {
  return `${BASE}targets:
  - { name: a, context: a }
  - { name: b, context: b${options.bSet ? `, set: { ${options.bSet} }` : ""} }
${options.extra ?? ""}waves:
  - { targets: [a], bake: 1s }
  - { targets: [${options.wave2 ?? "b"}] }
${options.onWaveFailure ? `onWaveFailure: ${options.onWaveFailure}\n` : ""}`;
}

function grayctl(config: string, args: string[], env: Record<string, string> = {}) {
  return targets.grayctl(config, args, env);
}

const stableImage = (sandbox: Sandbox) =>
  sandbox.store.get(R.deployments, "default", "shop")?.spec.template.spec.containers[0].image;
const history = (sandbox: Sandbox): { revision: number; image: string; outcome: string }[] =>
  JSON.parse(
    (sandbox.store.get(R.configmaps, "default", "shop-grayctl")?.data as { history?: string })?.history ?? "[]",
  );
const lastOf = (sandbox: Sandbox) => history(sandbox).at(-1);
const result = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1)!);
const events = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);

test("a release goes to wave 1, bakes, then to wave 2; every line of a target is prefixed by its name", async () => {
  const first = await grayctl(release(), ["rollout", "--image", demoImage("v1"), "-o", "json"]);
  assert.equal(first.code, 0, first.stderr + first.stdout);
  const second = await grayctl(release(), ["rollout", "--image", demoImage("v2"), "-o", "json"]);
  assert.equal(second.code, 0, second.stderr + second.stdout);
  assert.equal(result(second.stdout).outcome, "promoted");
  for (const sandbox of [a, b]) {
    assert.equal(stableImage(sandbox), demoImage("v2"));
    assert.deepEqual(
      history(sandbox).map((entry) => [entry.image, entry.outcome]),
      [
        [demoImage("v1"), "deployed"],
        [demoImage("v2"), "promoted"],
      ],
    );
  }
  const all = events(second.stdout);
  const index = (check: (e: Record<string, unknown>) => boolean) => all.findIndex(check);
  const aPromoted = index((e) => e.type === "target-result" && e.target === "a" && e.outcome === "promoted");
  const baked = index((e) => e.type === "bake-passed" && e.wave === 1);
  const bFirstStep = index((e) => e.type === "step" && e.target === "b");
  assert.ok(
    aPromoted >= 0 && baked > aPromoted && bFirstStep > baked,
    `order: a promoted ${aPromoted}, bake ${baked}, b's first step ${bFirstStep}`,
  );
  // Both targets went through both steps, each event naming its target.
  for (const target of ["a", "b"])
    assert.deepEqual(
      all.filter((e) => e.type === "step" && e.target === target).map((e) => e.weight),
      [50, 100],
    );
  // In text, each target's lines start with its name.
  const text = await grayctl(release(), ["rollout", "--image", demoImage("v2")]);
  assert.equal(text.code, 0, text.stderr + text.stdout);
  assert.match(text.stdout + text.stderr, /\[a\] /);
  assert.match(text.stdout + text.stderr, /\[b\] /);
});

// b's gate looks at a path its pods do not serve (404): b's canary fails its health check, a's passes.
const B_FAILS = "analysis.healthz.path: /not-served";

test("a bad canary in wave 2 rolls back wave 2 and, with onWaveFailure: rollback, wave 1 to its previous release", async () => {
  const run = await grayctl(release({ bSet: B_FAILS }), ["rollout", "--image", demoImage("v3"), "-o", "json"]);
  assert.equal(run.code, 3, run.stderr + run.stdout);
  const ended = result(run.stdout);
  assert.equal(ended.outcome, "rolled-back");
  assert.match(ended.reason, /wave 2 failed: target b/);
  assert.deepEqual(ended.targets.a, { wave: 1, rollout: "promoted", rollback: "rolled-back" });
  assert.equal(stableImage(a), demoImage("v2"), "a is back on its previous release");
  assert.equal(stableImage(b), demoImage("v2"), "b never left it");
  assert.equal(lastOf(a)?.outcome, "rolled-back");
  assert.equal(lastOf(b)?.outcome, "rolled-back");
  assert.equal(lastOf(b)?.image, demoImage("v3"));
});

test("with onWaveFailure: halt the failing wave rolls back and wave 1 stays on the new release", async () => {
  const run = await grayctl(release({ bSet: B_FAILS, onWaveFailure: "halt" }), [
    "rollout",
    "--image",
    demoImage("v4"),
    "-o",
    "json",
  ]);
  assert.equal(run.code, 3, run.stderr + run.stdout);
  const ended = result(run.stdout);
  assert.match(ended.reason, /left on the new release \(onWaveFailure: halt\): a/);
  assert.equal(stableImage(a), demoImage("v4"));
  assert.deepEqual(
    history(a)
      .slice(-1)
      .map((entry) => [entry.image, entry.outcome]),
    [[demoImage("v4"), "promoted"]],
  );
  assert.equal(stableImage(b), demoImage("v2"));
  assert.equal(lastOf(b)?.outcome, "rolled-back");
});

test("Ctrl-C during wave 2 rolls the wave back and, by the policy, wave 1 too", async () => {
  const file = join(dir, "grayctl-interrupt.yaml");
  await writeFile(file, release());
  const running = spawnCli(
    ["--kubeconfig", kubeconfig, "--config", file, "rollout", "--image", demoImage("v6"), "-o", "json"],
    {
      cwd: dir,
      env: { GRAYCTL_ACTOR: "test-runner", GRAYCTL_TEST: "1", KUBECONFIG: undefined },
    },
  );
  await eventually("b's first step", () =>
    jsonEvents(running.output().stdout).some((e) => e.type === "step" && e.target === "b"),
  );
  running.kill("SIGINT");
  const run = await running.done;
  assert.equal(run.code, 3, run.stderr + run.stdout);
  const ended = result(run.stdout);
  assert.equal(ended.outcome, "rolled-back");
  assert.match(ended.reason, /wave 2 failed: target b: .*interrupt/i);
  assert.deepEqual(ended.targets.a, { wave: 1, rollout: "promoted", rollback: "rolled-back" });
  assert.equal(stableImage(a), demoImage("v4"), "a back on its previous release");
  assert.equal(stableImage(b), demoImage("v2"));
  assert.equal(b.store.get(R.deployments, "default", "shop-canary")?.spec.replicas ?? 0, 0);
});

test("an unreachable target fails its wave safe, is named, and the policy rolls the others back", async () => {
  const config = release({ extra: "  - { name: gone, context: gone }\n", wave2: "b, gone" });
  const run = await grayctl(config, ["rollout", "--image", demoImage("v5"), "-o", "json"], {
    GRAYCTL_TEST_REQUEST_TIMEOUT_MS: "1000",
    GRAYCTL_TEST_CALL_BUDGET_MS: "2000",
  });
  assert.notEqual(run.code, 0, run.stderr + run.stdout);
  assert.equal(run.code, 6, "the exit code of a cluster that did not answer");
  const ended = result(run.stdout);
  assert.equal(ended.outcome, "rolled-back");
  assert.match(ended.reason, /target gone/);
  assert.match(ended.reason, /not reached, left as they were: gone/);
  assert.equal(stableImage(a), demoImage("v4"), "a back on its previous release");
  assert.equal(stableImage(b), demoImage("v2"), "b's canary undone");
  assert.equal(b.store.get(R.deployments, "default", "shop-canary")?.spec.replicas ?? 0, 0);
});

test("grayctl plan shows the waves and their targets, asking no cluster", async () => {
  const config = release({
    bSet: "deployment.replicas: 3",
    extra: "  - { name: gone, context: gone }\n",
    wave2: "b, gone",
  });
  const run = await grayctl(config, ["plan", "--image", demoImage("v9")]);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /to 3 targets in 2 waves/);
  assert.match(run.stdout, /wave 1: 1 target\(s\), 1 at a time, then bake 1s\n {4}a: context a, namespace default/);
  assert.match(
    run.stdout,
    /wave 2: 2 target\(s\), 2 at a time, then bake 0s\n {4}b: context b, namespace default, set deployment\.replicas=3\n {4}gone: context gone/,
  );
  assert.match(run.stdout, /onWaveFailure: rollback/);
  assert.match(
    run.stdout,
    /release record and lock: ConfigMap and Lease shop-grayctl-release in target a, namespace default\n/,
  );
  const json = await grayctl(config, ["plan", "--image", demoImage("v9"), "-o", "json"]);
  assert.deepEqual(
    result(json.stdout).waves.map((wave: { targets: { name: string }[] }) => wave.targets.map((t) => t.name)),
    [["a"], ["b", "gone"]],
  );
  assert.equal(result(json.stdout).recordIn, "a");
});
