// Every API request has a deadline, and so does a kubeconfig's exec credential
// plugin (issue 11, finding 3): client-node sends through undici's fetch with
// no timeout of its own and spawns exec plugins with none either, so an API
// that stops answering, or a plugin that hangs, stalled grayctl for good. The
// deadlines are scaled down here (GRAYCTL_TEST_REQUEST_TIMEOUT_MS=500, so a
// plugin gets 1.5 s; retry budget 2 s); the defaults are 10 s and 30 s.
import assert from "node:assert/strict";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parse, stringify } from "yaml";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const CONFIG = `app: desk
namespace: default
deployment:
  replicas: 1
traffic:
  router: nginx
  host: desk.local
`;
const SCALED = { GRAYCTL_TEST_REQUEST_TIMEOUT_MS: "500", GRAYCTL_TEST_CALL_BUDGET_MS: "2000" };

let app: SandboxApp;
before(async () => {
  app = await startSandboxApp(CONFIG);
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
});
after(async () => {
  app.sandbox.faults.clear();
  await app.stop();
});

/** The sandbox's kubeconfig with its user's token handed out by an exec plugin (a shell script) instead. */
async function execKubeconfig(name: string, script: string): Promise<string> {
  const plugin = join(app.dir, `${name}.sh`);
  await writeFile(plugin, `#!/bin/sh\n${script}\n`);
  await chmod(plugin, 0o755);
  const config = parse(await readFile(app.sandbox.kubeconfigPath, "utf8"));
  config.users[0].user = {
    exec: { apiVersion: "client.authentication.k8s.io/v1", command: plugin, interactiveMode: "Never" },
  };
  const path = join(app.dir, `${name}.kubeconfig`);
  await writeFile(path, stringify(config));
  return path;
}

const credential = (token: string) =>
  JSON.stringify({
    apiVersion: "client.authentication.k8s.io/v1",
    kind: "ExecCredential",
    status: { token },
  });

function status(kubeconfig: string, extra: string[] = []) {
  return app.grayctl(["--kubeconfig", kubeconfig, "status", "--verbose", ...extra], { env: SCALED, timeoutMs: 30_000 });
}

test("an API that accepts connections but never answers: each request gives up after its deadline, the command ends (exit 6) naming it", async () => {
  app.sandbox.faults.set([{ name: "partition", action: { type: "hang", until: Date.now() + 60_000 } }]);
  const started = Date.now();
  const result = await app
    .grayctl(["status"], { env: SCALED, timeoutMs: 30_000 })
    .finally(() => app.sandbox.faults.clear());
  assert.equal(result.code, 6, result.stderr + result.stdout);
  assert.match(result.stdout + result.stderr, /no answer from the Kubernetes API within 0\.5s/);
  assert.ok(Date.now() - started < 10_000, `ended after ${Date.now() - started} ms`);
});

test("an exec credential plugin's token authenticates every request and never reaches the output", async () => {
  const kubeconfig = await execKubeconfig("good", `echo '${credential(app.sandbox.token)}'`);
  for (const output of [[], ["-o", "json"]]) {
    const result = await status(kubeconfig, output);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.match(result.stdout, /desk/);
    assert.ok(!(result.stdout + result.stderr).includes(app.sandbox.token), "the token is not printed");
  }
});

test("an exec credential plugin that hangs is killed after its deadline and the command ends (exit 6) naming the plugin", async () => {
  const kubeconfig = await execKubeconfig("hangs", "sleep 300");
  const started = Date.now();
  const result = await status(kubeconfig);
  assert.equal(result.code, 6, result.stderr + result.stdout);
  assert.match(result.stdout + result.stderr, /exec credential plugin \(\S+hangs\.sh\) did not answer within 1\.5s/);
  assert.ok(Date.now() - started < 15_000, `ended after ${Date.now() - started} ms`);
});

test("an exec credential plugin that prints no valid JSON: the error does not quote what it printed", async () => {
  const marker = "marker-exec-garbage-6c1f0e";
  const kubeconfig = await execKubeconfig("garbage", `echo '${marker} {'`);
  const result = await status(kubeconfig);
  assert.notEqual(result.code, 0);
  assert.match(result.stdout + result.stderr, /printed no valid ExecCredential JSON/);
  assert.ok(!(result.stdout + result.stderr).includes(marker), result.stdout + result.stderr);
});

test("an exec credential plugin that fails: the error does not quote what it said on stderr", async () => {
  const marker = "marker-exec-stderr-41aa09";
  const kubeconfig = await execKubeconfig("fails", `echo "cannot refresh ${marker}" >&2; exit 1`);
  const result = await status(kubeconfig);
  assert.equal(result.code, 2, result.stdout + result.stderr);
  assert.match(
    result.stdout + result.stderr,
    /exec credential plugin \(\S+fails\.sh\) failed\nRun it yourself to see why/,
  );
  assert.ok(!(result.stdout + result.stderr).includes(marker), result.stdout + result.stderr);
});

test("a kubeconfig that is not valid YAML: the error gives the line and column, not the file's text", async () => {
  const marker = "marker-kubeconfig-token-9d2b7a";
  const broken = join(app.dir, "broken.kubeconfig");
  await writeFile(broken, `apiVersion: v1\nusers:\n- name: x\n  user:\n    token: ${marker}\n   bad: [\n`);
  const result = await app.grayctl(["--kubeconfig", broken, "status", "--verbose"], { timeoutMs: 30_000 });
  assert.equal(result.code, 2, result.stderr + result.stdout);
  assert.match(result.stderr + result.stdout, /not valid YAML \(.+ at line \d+, column \d+\)/);
  assert.ok(!(result.stdout + result.stderr).includes(marker), result.stdout + result.stderr);
});

test("a token the API refuses (401) is the user's to fix: exit 2 saying so, not an internal error", async () => {
  const config = parse(await readFile(app.sandbox.kubeconfigPath, "utf8"));
  config.users[0].user = { token: "not-the-token" };
  const wrong = join(app.dir, "wrong.kubeconfig");
  await writeFile(wrong, stringify(config));
  const result = await app.grayctl(["--kubeconfig", wrong, "status"], { timeoutMs: 30_000 });
  assert.equal(result.code, 2, result.stderr + result.stdout);
  assert.match(result.stderr + result.stdout, /the Kubernetes API did not accept the kubeconfig's credentials \(401 /);
});
