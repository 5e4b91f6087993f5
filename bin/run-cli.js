// Runs the CLI's main() as a process: with grayctl.js, the only code in grayctl
// that exits the process. A command that acts on a cancellation at a safe point
// (rollout, promote, resume, build, status --watch) says so, and the first
// SIGINT/SIGTERM becomes that cancellation. Any other command — status,
// history, rollback, abort — is stopped by the first one at once (130): nothing
// it would still do is worth waiting for. A signal that exits waits only for a
// write that must not be cut short (a route to 100 % stable) and exits right
// after it. Shared by launch.js (the package) and the single binary.

/** Runs `main` with this process's streams, environment and signals; sets the exit code. */
export function runCli(main) {
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
}
