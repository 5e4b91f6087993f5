// Ctrl-C in an incident: `status` and `rollback` against a Kubernetes API that
// does not answer stop at the first Ctrl-C (exit 130), instead of running out
// their retry budget, and the terminal shows that they were stopped, not a ✔.
// The API is a loopback port with nothing listening (connection refused, which
// grayctl retries as transient); the retry budget is raised to 10 minutes so
// that only the Ctrl-C can end the command within the test's timeout.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { BIN, spawnCli, UNBUNDLED } from "../helpers/cli.ts";
import { renderScreen } from "../helpers/terminal-screen.ts";

/** The TTY reporter is chosen outside CI and without NO_COLOR (src/output/index.ts). */
function withoutCi(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NO_COLOR: _a, FORCE_COLOR: _b, CI: _c, GITHUB_ACTIONS: _d, GITLAB_CI: _e, ...rest } = env;
  return rest;
}

let dir: string;
let kubeconfig: string;
let config: string;
/** Only the Ctrl-C can end a command before this: the default budget is 20 s. */
const LONG_BUDGET = {
  GRAYCTL_TEST: "1",
  GRAYCTL_TEST_CALL_BUDGET_MS: "600000",
  GRAYCTL_TEST_REQUEST_TIMEOUT_MS: "2000",
};

/** A loopback port that was free a moment ago and has nothing listening now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "grayctl-ctrl-c-"));
  kubeconfig = join(dir, "kubeconfig");
  config = join(dir, "grayctl.yaml");
  const server = `https://127.0.0.1:${await closedPort()}`;
  await writeFile(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{name: down, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: not-a-secret}}]
contexts: [{name: down, context: {cluster: down, user: u, namespace: shop}}]
current-context: down
`,
  );
  await writeFile(config, "app: checkout\nnamespace: shop\n");
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Resolves once `read()` matches, polling the output the child has written so far (bounded by the test timeout). */
async function until(read: () => string, pattern: RegExp): Promise<void> {
  while (!pattern.test(read())) await new Promise((resolve) => setTimeout(resolve, 50));
}

for (const command of ["status", "rollback", "abort", "history"]) {
  test(`the first SIGINT stops \`${command}\` while it retries an unreachable API: exit 130`, {
    timeout: 60_000,
  }, async () => {
    const cli = spawnCli(["--kubeconfig", kubeconfig, "--config", config, command], { env: LONG_BUDGET });
    // It is retrying: the warning names the server that does not answer.
    await until(() => cli.output().stderr, /is not answering/);
    cli.kill("SIGINT");
    const ended = await cli.done;
    assert.equal(ended.code, 130, ended.stderr);
    assert.match(ended.stdout + ended.stderr, /stopped by SIGINT before the command ended/);
    assert.doesNotMatch(ended.stderr, /internal error/);
  });
}

test("on a terminal, the first Ctrl-C stops `status` and shows it stopped (⚠), not a green ✔", {
  timeout: 60_000,
}, async () => {
  // A pseudo-terminal (util-linux `script`): Ctrl-C is the byte 0x03, which the terminal turns
  // into SIGINT for the command, as when a person presses it.
  const line = [process.execPath, BIN, "--kubeconfig", kubeconfig, "--config", config, "status"]
    .map((arg) => `'${arg}'`)
    .join(" ");
  // A terminal with a size: with none, grayctl prints plain lines (src/output/index.ts).
  const child = spawn("script", ["-qfec", `stty cols 120 rows 40; exec ${line}`, "/dev/null"], {
    env: withoutCi({ ...process.env, ...UNBUNDLED, ...LONG_BUDGET, TERM: "xterm-256color" }),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let screen = "";
  child.stdout.on("data", (chunk) => (screen += chunk));
  const code = new Promise<number | null>((resolve) => child.on("close", resolve));
  await until(() => screen, /is not answering/);
  child.stdin.write("\x03");
  assert.equal(await code, 130, screen);
  // As the person sees it (colours dropped): the TTY reporter's mark, not a green ✔.
  const shown = renderScreen(screen);
  assert.match(shown, /⚠ stopped by SIGINT before the command ended/, shown);
  assert.doesNotMatch(shown, /✔/);
});
