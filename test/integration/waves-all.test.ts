// issue 22: `status --all`, `rollback --all` and `history --all` of a
// configuration with targets. Three sandboxes (three API servers, each with its
// own pods) behind one kubeconfig with a context each, plus a context on a closed
// port ("gone") and one on a port that accepts and never answers ("silent"); the
// built grayctl runs as a user would. What each target holds is read from its
// own sandbox's store, and the order of writes across the three from the
// sandboxes' own request hooks and store watches (one event loop: one order).
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { stringify } from "yaml";
import { type Sandbox, startSandbox } from "../../sandbox/index.ts";
import { R } from "../../sandbox/resources.ts";
import { jsonEvents, runCli, spawnCli } from "../helpers/cli.ts";
import { demoImage, eventually } from "../helpers/sandbox-app.ts";

const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";
const NAMES = ["a", "b", "c"] as const;

/** What the three sandboxes saw during a recorded command, in the order they saw it. */
let log: string[] = [];
let recording = false;
const sandboxes = new Map<string, Sandbox>();
let silent: Server;
const sockets = new Set<Socket>();
let dir: string;
let kubeconfig: string;

before(async () => {
  const started = await Promise.all(
    NAMES.map((name) =>
      startSandbox({
        // grayctl's Deployment writes (the sandbox's own controller writes to its store, not over HTTP).
        onRequest: (method, url) => {
          if (recording && method !== "GET" && /\/deployments(\/|\?|$)/.test(url.split("?")[0]))
            log.push(`${name}:deployment-write`);
        },
      }),
    ),
  );
  NAMES.forEach((name, index) => {
    const sandbox = started[index];
    sandboxes.set(name, sandbox);
    let weight: string | undefined;
    sandbox.store.watch(R.ingresses, "default", undefined, (event) => {
      if (event.object.metadata.name !== "shop-canary") return;
      const now = event.object.metadata.annotations?.[WEIGHT];
      if (recording && now === "0" && weight !== "0") log.push(`${name}:route-to-stable`);
      weight = now;
    });
  });
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const silentPort = (silent.address() as { port: number }).port;
  dir = await mkdtemp(join(tmpdir(), "grayctl-waves-all-"));
  kubeconfig = join(dir, "kubeconfig");
  const cluster = (name: string, server: string, token: string) => ({
    cluster: { name, cluster: { server, "insecure-skip-tls-verify": true } },
    user: { name, user: { token } },
    context: { name, context: { cluster: name, user: name, namespace: "default" } },
  });
  const entries = [
    ...NAMES.map((name) => cluster(name, sandboxes.get(name)!.url, sandboxes.get(name)!.token)),
    // Nothing listens on port 9 (discard): refused at once.
    cluster("gone", "http://127.0.0.1:9", "x"),
    cluster("silent", `http://127.0.0.1:${silentPort}`, "x"),
  ];
  await writeFile(
    kubeconfig,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: entries.map((e) => e.cluster),
      users: entries.map((e) => e.user),
      contexts: entries.map((e) => e.context),
      "current-context": "a",
    }),
    { mode: 0o600 },
  );
});

after(async () => {
  for (const socket of sockets) socket.destroy();
  silent?.close();
  await Promise.all([...sandboxes.values()].map((sandbox) => sandbox.stop()));
  await rm(dir, { recursive: true, force: true });
});

const BASE = `app: shop
deployment: { replicas: 1 }
traffic: { router: nginx, host: shop.local }
rollout: { steps: [50, 100], interval: 1s, readyTimeout: 6s, progressDeadline: 1m, scaleDownDelay: 0s }
`;

/** Targets a, b, c (and `extra`, in wave 2); `wave1` = the names in wave 1, the rest in wave 2. */
function release(options: { extra?: string[]; wave1?: string[]; interval?: string } = {}): string {
  const wave1 = options.wave1 ?? ["a"];
  const all = [...NAMES, ...(options.extra ?? [])];
  const wave2 = all.filter((name) => !wave1.includes(name));
  const base = options.interval ? BASE.replace("interval: 1s", `interval: ${options.interval}`) : BASE;
  return `${base}targets:
${all.map((name) => `  - { name: ${name}, context: ${name} }`).join("\n")}
waves:
  - { targets: [${wave1.join(", ")}] }
${wave2.length > 0 ? `  - { targets: [${wave2.join(", ")}] }\n` : ""}`;
}

/** A fast outage: one request may take 1 s, one call's retries 2 s (a user's defaults are 10 s and 20 s). */
const SHORT_OUTAGE = { GRAYCTL_TEST_REQUEST_TIMEOUT_MS: "1000", GRAYCTL_TEST_CALL_BUDGET_MS: "2000" };

async function configFile(config: string): Promise<string> {
  const file = join(dir, `grayctl-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, config);
  return file;
}

async function grayctl(config: string, args: string[], env: Record<string, string> = {}) {
  return runCli(["--kubeconfig", kubeconfig, "--config", await configFile(config), ...args], {
    cwd: dir,
    timeoutMs: 60_000,
    env: { GRAYCTL_ACTOR: "test-runner", GRAYCTL_TEST: "1", KUBECONFIG: undefined as unknown as string, ...env },
  });
}

const store = (name: string) => sandboxes.get(name)!.store;
const stableImage = (name: string) =>
  store(name).get(R.deployments, "default", "shop")?.spec.template.spec.containers[0].image;
const canaryWeight = (name: string) =>
  store(name).get(R.ingresses, "default", "shop-canary")?.metadata.annotations?.[WEIGHT];
const canaryReplicas = (name: string) => store(name).get(R.deployments, "default", "shop-canary")?.spec.replicas ?? 0;
const result = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1)!);

test("--all is refused with exit 2, naming what is wrong, before any cluster is asked", async () => {
  const cases: [string, string[], RegExp][] = [
    [BASE, ["status", "--all"], /--all: .* has no targets/],
    [BASE, ["rollback", "--all"], /--all: .* has no targets/],
    [BASE, ["history", "--all"], /--all: .* has no targets/],
    [release(), ["status", "--all", "--context", "a"], /--all and --context/],
    [release(), ["status", "--all", "--watch"], /--watch and --all/],
    [release(), ["rollback", "--all", "--to-revision", "1"], /--to-revision and --all/],
  ];
  for (const [config, args, message] of cases) {
    const run = await grayctl(config, args);
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}${run.stdout}`);
    assert.match(run.stderr + run.stdout, message, args.join(" "));
    assert.doesNotMatch(run.stderr + run.stdout, /\n\s+at /, "no stack trace");
  }
});

test("a release to three targets, then status --all shows each by name and wave; an unreachable one is named, exit 6", async () => {
  for (const image of [demoImage("v1"), demoImage("v2")]) {
    const run = await grayctl(release(), ["rollout", "--image", image, "-o", "json"]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
  }
  for (const name of NAMES) assert.equal(stableImage(name), demoImage("v2"), name);

  const json = await grayctl(release(), ["status", "--all", "-o", "json"]);
  assert.equal(json.code, 0, json.stderr + json.stdout);
  const ended = result(json.stdout);
  assert.deepEqual(Object.keys(ended.targets), ["a", "b", "c"]);
  assert.deepEqual(
    NAMES.map((name) => [ended.targets[name].wave, ended.targets[name].phase, ended.targets[name].image]),
    [
      [1, "promoted", demoImage("v2")],
      [2, "promoted", demoImage("v2")],
      [2, "promoted", demoImage("v2")],
    ],
  );
  // One status event per target, each naming its target.
  const statuses = jsonEvents(json.stdout).filter((e) => e.type === "status");
  assert.deepEqual(statuses.map((e) => e.target).sort(), ["a", "b", "c"]);

  const text = await grayctl(release(), ["status", "--all"]);
  assert.equal(text.code, 0, text.stderr + text.stdout);
  assert.match(text.stdout, /\[a\] wave 1\nshop \(namespace default\): promoted/);
  assert.match(text.stdout, /\[b\] wave 2\nshop \(namespace default\): promoted/);
  assert.match(text.stdout, /\[c\] wave 2\nshop \(namespace default\): promoted/);

  // Without --all and --context: today's status of the current context, and a hint that --all exists.
  const plain = await grayctl(release(), ["status"]);
  assert.equal(plain.code, 0, plain.stderr + plain.stdout);
  assert.match(plain.stdout, /^shop \(namespace default\): promoted/);
  assert.match(plain.stderr, /the configuration has targets \(a, b, c\).*`grayctl status --all`/);

  // A refused port and one that never answers: both named, neither holds the command, exit 6.
  const outage = await grayctl(release({ extra: ["gone", "silent"] }), ["status", "--all", "-o", "json"], SHORT_OUTAGE);
  assert.equal(outage.code, 6, outage.stderr + outage.stdout);
  const seen = result(outage.stdout);
  assert.deepEqual(seen.unreachable, ["gone", "silent"]);
  assert.deepEqual(
    jsonEvents(outage.stdout)
      .filter((e) => e.type === "target-failed")
      .map((e) => [e.target, e.unreachable, e.exitCode]),
    [
      ["gone", true, 6],
      ["silent", true, 6],
    ],
  );
  assert.equal(seen.targets.gone.unreachable, true);
  assert.equal(seen.targets.silent.unreachable, true);
  for (const name of NAMES) assert.equal(seen.targets[name].phase, "promoted", name);
});

test("rollback --all with an unreachable target: it is named, the others go back to their previous image", async () => {
  const run = await grayctl(release({ extra: ["gone"] }), ["rollback", "--all", "-o", "json"], SHORT_OUTAGE);
  assert.equal(run.code, 6, run.stderr + run.stdout);
  const ended = result(run.stdout);
  assert.equal(ended.outcome, "failed");
  assert.deepEqual(ended.failed, ["gone"]);
  assert.match(run.stdout, /NOT rolled back: gone \(wave 2\)/);
  for (const name of NAMES) {
    assert.equal(ended.targets[name].outcome, "rolled-back", name);
    assert.equal(stableImage(name), demoImage("v1"), `${name}: back on its previous release`);
    assert.equal(canaryWeight(name), "0", `${name}: traffic on stable`);
  }
});

test("rollback --all: every target's traffic to stable before any target's Deployment write, then canaries down", async () => {
  // All three in one wave, each paused on its first step (weight 50) by a long interval; then the process dies.
  const file = await configFile(release({ wave1: [...NAMES], interval: "5m" }));
  const running = spawnCli(
    ["--kubeconfig", kubeconfig, "--config", file, "rollout", "--image", demoImage("v3"), "-o", "json"],
    { cwd: dir, env: { GRAYCTL_ACTOR: "test-runner", GRAYCTL_TEST: "1", KUBECONFIG: undefined } },
  );
  await eventually("every target's canary at 50%", () => NAMES.every((name) => canaryWeight(name) === "50"), 60_000);
  running.kill("SIGKILL");
  await running.done;
  // c's router answers 1.5 s late: without the barrier, a and b would scale their canaries down meanwhile.
  sandboxes
    .get("c")!
    .faults.set([
      { name: "slow-route", verbs: ["patch", "update"], path: /\/ingresses\//, action: { type: "latency", ms: 1500 } },
    ]);
  log = [];
  recording = true;
  let run: Awaited<ReturnType<typeof grayctl>>;
  try {
    run = await grayctl(release(), ["rollback", "--all", "-o", "json"]);
  } finally {
    recording = false;
    sandboxes.get("c")!.faults.set([]);
  }
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const ended = result(run.stdout);
  assert.equal(ended.outcome, "rolled-back");
  for (const name of NAMES) {
    assert.equal(ended.targets[name].outcome, "rolled-back", name);
    assert.equal(canaryWeight(name), "0", `${name}: traffic on stable`);
    assert.equal(canaryReplicas(name), 0, `${name}: canary scaled down`);
    assert.equal(stableImage(name), demoImage("v1"), `${name}: stable kept its release`);
  }
  const lastRoute = Math.max(...NAMES.map((name) => log.indexOf(`${name}:route-to-stable`)));
  const firstWrite = log.findIndex((entry) => entry.endsWith(":deployment-write"));
  for (const name of NAMES) assert.ok(log.includes(`${name}:route-to-stable`), `${name}'s route write: ${log}`);
  assert.ok(firstWrite > lastRoute, `every route write before any Deployment write: ${log.join(", ")}`);
  assert.ok(typeof ended.lastStableAfterMs === "number");
});

test("history --all lists each target's releases under its name; an unreachable target is named, exit 6", async () => {
  const json = await grayctl(release(), ["history", "--all", "-o", "json"]);
  assert.equal(json.code, 0, json.stderr + json.stdout);
  const ended = result(json.stdout);
  const releases = jsonEvents(json.stdout).filter((e) => e.type === "release");
  for (const name of NAMES) {
    const own = releases.filter((e) => e.target === name);
    assert.equal(own.length, ended.targets[name].releases, name);
    // v1 deployed, v2 promoted then rolled back to v1, v3 rolled back in flight.
    assert.deepEqual(
      own.map((e) => [e.revision, e.outcome]),
      [
        [1, "deployed"],
        [2, "promoted"],
        [2, "rolled-back"],
        [3, "rolled-back"],
      ],
      name,
    );
  }
  const text = await grayctl(release({ extra: ["gone"] }), ["history", "--all"], SHORT_OUTAGE);
  assert.equal(text.code, 6, text.stderr + text.stdout);
  for (const name of NAMES) assert.match(text.stdout, new RegExp(`\\[${name}\\] wave \\d\\n`));
  assert.match(text.stdout, /\[gone\] wave 2: UNREACHABLE/);
});
