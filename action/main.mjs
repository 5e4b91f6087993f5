// Entry of the grayctl GitHub Action (action.yml, runs.using: node24). Plain
// JavaScript with Node's built-ins only: the runner executes it straight from
// the action's checkout, with no npm install. It masks and writes the
// kubeconfig, then runs bin/grayctl.js with the runner's Node; the CLI sees
// GITHUB_ACTIONS=true and writes the summary, annotations and outputs itself.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { grayctlArgv } from "./argv.mjs";
import { maskCommands, writeKubeconfig } from "./kubeconfig.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const env = { ...process.env };

function fail(message) {
  process.stdout.write(`::error title=grayctl action::${message}\n`);
  process.exitCode = 2;
}

/**
 * A release tag of the action carries the built bundle (dist/bundle). A branch
 * ref does not: build it once here, as `npm ci` does (its prepare script).
 */
function ensureBuilt() {
  const entry = env.GRAYCTL_UNBUNDLED === "1" ? "dist/cli/main.js" : "dist/bundle/grayctl.js";
  if (existsSync(new URL(`../${entry}`, import.meta.url))) return true;
  process.stdout.write("::group::building grayctl (this ref of the action carries no bundle)\n");
  const built = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
  process.stdout.write("::endgroup::\n");
  return built.status === 0;
}

async function run() {
  let argv;
  try {
    argv = grayctlArgv(env);
  } catch (error) {
    return fail(error.message);
  }
  const content = env.INPUT_KUBECONFIG ?? "";
  let kubeconfig;
  if (content.trim()) {
    // Before anything else is printed: from here on the runner stars these out.
    for (const command of maskCommands(content)) process.stdout.write(command);
    kubeconfig = writeKubeconfig(content, env.RUNNER_TEMP || undefined);
    env.KUBECONFIG = kubeconfig.path;
  }
  // The CLI reads none of the action's inputs; the kubeconfig content least of all.
  for (const key of Object.keys(env)) if (key.startsWith("INPUT_")) delete env[key];
  try {
    if (!ensureBuilt()) return fail("could not build grayctl from this ref; use a release tag of the action");
    process.exitCode = await runCli(argv);
  } finally {
    kubeconfig?.remove();
  }
}

/** Runs the CLI; the job's cancellation (SIGINT, then SIGTERM) is passed on, and the CLI rolls back. */
function runCli(argv) {
  const child = spawn(process.execPath, [fileURLToPath(new URL("../bin/grayctl.js", import.meta.url)), ...argv], {
    env,
    stdio: "inherit",
    // Its own process group: a signal sent to this action's group reaches the CLI once, through
    // `forward`, never twice (a second signal would cut its rollback short). The runner cleans up
    // orphan processes when the job ends.
    detached: true,
  });
  const forward = (signal) => child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  return new Promise((resolve) => {
    child.on("error", (error) => {
      fail(`could not start grayctl: ${error.message}`);
      resolve(2);
    });
    child.on("close", (code, signal) => resolve(code ?? (signal ? 128 + (signal === "SIGINT" ? 2 : 15) : 1)));
  });
}

await run();
