// The launcher (after grayctl.js checked the Node version): with grayctl.js, the
// only code in grayctl that exits the process. A command that acts on a
// cancellation at a safe point (rollout, promote, resume, build, status --watch)
// says so, and the first SIGINT/SIGTERM becomes that cancellation. Any other
// command — status, history, rollback, abort — is stopped by the first one at
// once (130): nothing it would still do is worth waiting for. A signal that
// exits waits only for a write that must not be cut short (a route to 100 %
// stable) and exits right after it.
import module from "node:module";

// Reuse compiled bytecode across runs (Node >= 22.1): even bundled, the Kubernetes
// client is megabytes of JavaScript, and an on-call `grayctl rollback` should not
// wait for it to be compiled again.
module.enableCompileCache?.();
// The package runs the bundle (scripts/bundle.mjs: a few files instead of ~1,500
// modules). The test suites run tsc's one-file-per-module build of the sources
// instead, so that a test never runs a stale bundle: test/helpers/cli.ts sets
// GRAYCTL_UNBUNDLED=1. The GitHub Action runs the bundle committed in action/dist/
// (GRAYCTL_ACTION_BUNDLE=1, set by action/main.mjs; decision 038).
const entry =
  process.env.GRAYCTL_UNBUNDLED === "1"
    ? "../dist/cli/main.js"
    : process.env.GRAYCTL_ACTION_BUNDLE === "1"
      ? "../action/dist/grayctl.js"
      : "../dist/bundle/grayctl.js";
const { main } = await import(entry);

const controller = new AbortController();
let signals = 0;
/** Set by a command that handles the first signal itself (Io.handlesCancellation). */
let cancellable = false;
let uninterruptible = 0;
let exitAfterwards;
// Set by the command: reports how it ended (in CI: the summary and outputs) when a signal cuts it short.
let lastWords = () => {};
const exitNow = (signal) => {
  try {
    lastWords(signal);
  } finally {
    process.exit(130);
  }
};
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    signals += 1;
    if (signals === 1 && cancellable) return controller.abort(new Error(`received ${signal}`));
    if (uninterruptible === 0) return exitNow(signal);
    exitAfterwards = signal;
    process.stderr.write(`grayctl: received ${signal}; exiting once the write under way is done\n`);
  });
}

/** Runs `work` to its end even when a signal that exits arrives meanwhile; then that signal exits. */
async function runUninterruptible(work) {
  uninterruptible += 1;
  try {
    return await work();
  } finally {
    uninterruptible -= 1;
    if (exitAfterwards && uninterruptible === 0) exitNow(exitAfterwards);
  }
}

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
  uninterruptible: runUninterruptible,
  handlesCancellation: () => {
    cancellable = true;
  },
  onForcedExit: (report) => {
    lastWords = report;
  },
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`grayctl: internal error: ${error?.stack ?? error}\n`);
    process.exitCode = 1;
  },
);
