// Entry of the grayctl GitHub Action (action.yml, runs.using: node24). Plain
// JavaScript with Node's built-ins only: the runner executes it straight from
// the action's checkout, with no npm install. It masks and writes the
// kubeconfig, then runs bin/grayctl.js with the runner's Node on the bundle
// committed in action/dist/ (decision 038): nothing is installed or built at run
// time, so no install script ever runs with the kubeconfig or registry
// credentials in its environment. The CLI sees GITHUB_ACTIONS=true and writes
// the summary, annotations and outputs itself.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { grayctlArgv } from "./argv.mjs";
import { maskCommands, writeKubeconfig } from "./kubeconfig.mjs";

const env = { ...process.env };

function fail(message) {
  process.stdout.write(`::error title=grayctl action::${message}\n`);
  process.exitCode = 2;
}

/** The bundle committed at every ref of the action (`npm run build:action`; `npm run check:action` keeps it current). */
function bundled() {
  const entry = env.GRAYCTL_UNBUNDLED === "1" ? "../dist/cli/main.js" : "../action/dist/grayctl.js";
  return existsSync(new URL(entry, import.meta.url));
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
  env.GRAYCTL_ACTION_BUNDLE = "1";
  try {
    if (!bundled())
      return fail("this ref of the action has no action/dist/grayctl.js; pin a release tag or its commit SHA");
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
