// End to end, as a user runs it: a git repository with a FROM-scratch app
// (busybox httpd serving /healthz and its version), the built grayctl binary
// with no --image (build, push to the real registry, deploy by digest), pods as
// real containers on the Docker Engine, and users' traffic through a real nginx
// that the sandbox configures from grayctl's Ingresses and reloads. v1 is
// deployed, v2 ramped and promoted, a broken v3 (no /healthz) rolled back; the
// errors users saw in each phase are counted and printed, and grayctl's own
// actions (ramp, promotion, rollback) must not fail a single request.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type Sandbox, startSandbox } from "../../sandbox/index.ts";
import { R } from "../../sandbox/resources.ts";
import { startTraffic, type Traffic } from "../../sandbox/traffic/index.ts";
import { runCli } from "../helpers/cli.ts";
import { gitTestEnv, type TempRepo, tempRepo } from "../helpers/git-repo.ts";
import { describeTally, type LoadTally, startLoad } from "../helpers/load.ts";
import { realPartsScript, registryDigest, requireDockerEngine, requireRegistry } from "../helpers/real-parts.ts";

const REPOSITORY = "localhost:5000/e2e/app";
const HOST = "e2e.local";
const RATE = 100;
const CONFIG = `app: e2e
namespace: default
image:
  repository: ${REPOSITORY}
  context: .
  dockerfile: Dockerfile
  tag: commit
deployment:
  replicas: 2
  port: 8080
traffic:
  router: nginx
  host: ${HOST}
rollout:
  steps: [25, 50, 100]
  interval: 3s
  readyTimeout: 20s
  progressDeadline: 3m
analysis:
  healthz: { path: /healthz }
`;
const DOCKERFILE = [
  "FROM scratch",
  "COPY busybox /bin/busybox",
  "COPY www /www",
  "COPY start.sh /start.sh",
  'ENTRYPOINT ["/bin/busybox", "sh", "/start.sh"]',
  "",
].join("\n");

let repo: TempRepo;
let sandbox: Sandbox;
let traffic: Traffic;
const run = randomBytes(3).toString("hex");

before(async () => {
  await requireDockerEngine();
  await requireRegistry();
  if (spawnSync("nginx", ["-v"]).error) assert.fail(`nginx is missing: run \`sudo ${realPartsScript}\``);
  if (spawnSync("/bin/busybox", ["true"]).error)
    assert.fail(`/bin/busybox is missing: run \`sudo ${realPartsScript}\``);
  repo = await tempRepo("grayctl-e2e-");
  // Traffic is started here rather than by startSandbox, to get nginx's URL.
  sandbox = await startSandbox({
    kubeconfigPath: join(repo.dir, ".kubeconfig"),
    workloads: { docker: {} },
    traffic: false,
  });
  traffic = await startTraffic(sandbox.store, { nginx: {} });
  await repo.write(".gitignore", ".kubeconfig\n");
  await repo.write("grayctl.yaml", CONFIG);
  await repo.write("Dockerfile", DOCKERFILE);
  await repo.write(".dockerignore", ".git\n.kubeconfig\n");
  spawnSync("cp", ["/bin/busybox", join(repo.dir, "busybox")]);
});

after(async () => {
  await traffic?.stop();
  await sandbox?.stop();
  await repo?.remove();
});

const SERVE = "exec /bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www\n";
// Healthy at first, so it gets traffic; its /healthz disappears 4 s after start.
const SERVE_THEN_BREAK = [
  "/bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www &",
  "/bin/busybox sleep 4",
  "/bin/busybox rm -f /www/healthz",
  "wait",
  "",
].join("\n");

/** A commit of the app: its version file, /healthz unless "missing", and how it starts. */
async function commitVersion(version: string, health: "ok" | "missing" | "breaks" = "ok"): Promise<string> {
  await repo.write("www/index.html", `${version}\n`);
  if (health === "missing") await repo.git("rm", "--quiet", "--ignore-unmatch", "www/healthz");
  else await repo.write("www/healthz", "ok\n");
  await repo.write("start.sh", health === "breaks" ? SERVE_THEN_BREAK : SERVE);
  return repo.commitAll(`app ${version}`);
}

const grayctl = () =>
  runCli(["--kubeconfig", sandbox.kubeconfigPath, "rollout", "-o", "json"], {
    cwd: repo.dir,
    timeoutMs: 240_000,
    env: { ...gitTestEnv, GRAYCTL_ACTOR: "e2e" },
  });
const lastEvent = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1)!);
const stableImage = () => sandbox.store.get(R.deployments, "default", "e2e")?.spec.template.spec.containers[0].image;
const phase = () => {
  const raw = (sandbox.store.get(R.configmaps, "default", "e2e-grayctl")?.data as { state?: string } | undefined)
    ?.state;
  return raw ? (JSON.parse(raw).phase as string) : undefined;
};

/** Runs grayctl with users' load through nginx; splits what they saw by the rollout's recorded phase. */
async function releaseUnderLoad(label: string) {
  const load = startLoad({
    url: traffic.nginxUrl!,
    host: HOST,
    rate: RATE,
    durationMs: 230_000,
    versionFromBody: true,
  });
  const phases: { phase: string; at: number }[] = [];
  const watch = setInterval(() => {
    const now = phase() ?? "none";
    if (phases.at(-1)?.phase !== now) phases.push({ phase: now, at: Date.now() });
  }, 20);
  const result = await grayctl();
  // Users keep going for 2 s after grayctl exits: the end state must serve too.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  clearInterval(watch);
  const total = await load.stop();
  const byPhase: Record<string, LoadTally> = {};
  phases.forEach((entry, index) => {
    byPhase[entry.phase] = load.tally(entry.at, phases[index + 1]?.at);
    console.log(describeTally(`  ${label} · ${entry.phase}`, byPhase[entry.phase]));
  });
  console.log(describeTally(`${label} · all`, total));
  return { result, total, byPhase, phases: phases.map((p) => p.phase) };
}

const userErrors = (tally: LoadTally) => tally.failed + tally.routingErrors + (tally.statuses["500"] ?? 0);

test("v1: grayctl rollout builds, pushes and deploys the commit by digest; nginx serves it", async () => {
  const commit = await commitVersion(`v1-${run}`);
  const result = await grayctl();
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const outcome = lastEvent(result.stdout);
  assert.equal(outcome.outcome, "deployed");
  const digest = await registryDigest("127.0.0.1:5000", "e2e/app", commit);
  assert.ok(digest, "the image for the commit is in the registry");
  assert.equal(stableImage(), `${REPOSITORY}:${commit}@${digest}`);
  await traffic.settled();
  const probe = await startLoad({
    url: traffic.nginxUrl!,
    host: HOST,
    rate: 50,
    durationMs: 1_000,
    versionFromBody: true,
  }).done;
  assert.deepEqual(Object.keys(probe.versions), [`v1-${run}`], describeTally("after deploy", probe));
  assert.equal(userErrors(probe), 0);
});

test("v2: ramped 25 → 50 → 100 through nginx under load and promoted, no user sees an error", async () => {
  const commit = await commitVersion(`v2-${run}`);
  const { result, total, byPhase, phases } = await releaseUnderLoad("v2");
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.equal(lastEvent(result.stdout).outcome, "promoted");
  assert.ok(phases.includes("progressing") && phases.includes("promoting"), `phases ${phases}`);
  assert.match(stableImage(), new RegExp(`^${REPOSITORY}:${commit}@sha256:`));
  assert.ok((byPhase.progressing?.versions[`v2-${run}`] ?? 0) > 50, "users reached the canary during the ramp");
  assert.ok((total.versions[`v1-${run}`] ?? 0) > 50, "and stable");
  assert.ok(total.sent >= RATE * 10, `load flowed: ${total.sent}`);
  for (const [name, tally] of Object.entries(byPhase))
    assert.equal(userErrors(tally), 0, `${describeTally(name, tally)} ${JSON.stringify(tally.samples)}`);
  const tail = await startLoad({
    url: traffic.nginxUrl!,
    host: HOST,
    rate: 50,
    durationMs: 1_000,
    versionFromBody: true,
  }).done;
  assert.deepEqual(Object.keys(tail.versions), [`v2-${run}`], describeTally("after promotion", tail));
});

test("v3 without /healthz: rolled back (exit 3), users stay on v2 and see no error", async () => {
  await commitVersion(`v3-${run}`, "missing");
  const before = stableImage();
  const { result, total, byPhase, phases } = await releaseUnderLoad("v3");
  assert.equal(result.code, 3, result.stderr + result.stdout);
  const outcome = lastEvent(result.stdout);
  assert.equal(outcome.outcome, "rolled-back");
  assert.match(outcome.reason, /health/);
  console.log(`v3: ${outcome.reason}`);
  assert.ok(phases.includes("rolling-back") || phases.includes("rolled-back"), `phases ${phases}`);
  assert.equal(stableImage(), before, "stable untouched");
  assert.equal(total.versions[`v3-${run}`] ?? 0, 0, "no user was sent to a canary that was never ready");
  for (const [name, tally] of Object.entries(byPhase))
    assert.equal(userErrors(tally), 0, `${describeTally(name, tally)} ${JSON.stringify(tally.samples)}`);
  assert.equal(sandbox.store.get(R.deployments, "default", "e2e-canary")?.spec.replicas, 0);
});

test("v4 breaks after taking traffic: left within a watch tick, not at the window's end; users' errors counted", async () => {
  // A long window, so that waiting for its end (not leaving at once) would show.
  await repo.write("grayctl.yaml", CONFIG.replace("interval: 3s", "interval: 20s"));
  await commitVersion(`v4-${run}`, "breaks");
  const before = stableImage();
  const { result, total } = await releaseUnderLoad("v4");
  assert.equal(result.code, 3, result.stderr + result.stdout);
  const outcome = lastEvent(result.stdout);
  assert.equal(outcome.outcome, "rolled-back");
  console.log(`v4: ${outcome.reason}`);
  assert.match(outcome.reason, /stopped being ready/);
  assert.equal(stableImage(), before, "stable untouched");
  assert.ok((total.versions[`v4-${run}`] ?? 0) > 0, "the canary served users before it broke");
  // Users met 503s from the moment the canary lost its endpoints until nginx
  // applied grayctl's route write: a watch tick plus a reload, not 20 s.
  const span = total.errorSpan ? total.errorSpan.last - total.errorSpan.first : 0;
  console.log(`v4: ${userErrors(total)} user errors over ${span} ms, ${total.failed} connection failures`);
  assert.ok(span < 3_000, `users met errors for ${span} ms`);
  assert.equal(total.failed, 0, JSON.stringify(total.samples));
  const tail = await startLoad({
    url: traffic.nginxUrl!,
    host: HOST,
    rate: 50,
    durationMs: 1_000,
    versionFromBody: true,
  }).done;
  assert.deepEqual(Object.keys(tail.versions), [`v2-${run}`], describeTally("after rollback", tail));
  assert.equal(userErrors(tail), 0, describeTally("after rollback", tail));
});
