#!/usr/bin/env node
// The launcher: the only code in grayctl that exits the process. It maps the
// first SIGINT/SIGTERM to a cancellation the command handles at a safe point;
// a second one exits at once.
import module from "node:module";

// Reuse compiled bytecode across runs (Node >= 22.1): even bundled, the Kubernetes
// client is megabytes of JavaScript, and an on-call `grayctl rollback` should not
// wait for it to be compiled again.
module.enableCompileCache?.();
// The package runs the bundle (scripts/bundle.mjs: a few files instead of ~1,500
// modules). The test suites run tsc's one-file-per-module build of the sources
// instead, so that a test never runs a stale bundle: test/helpers/cli.ts sets
// GRAYCTL_UNBUNDLED=1.
const entry = process.env.GRAYCTL_UNBUNDLED === "1" ? "../dist/cli/main.js" : "../dist/bundle/grayctl.js";
const { main } = await import(entry);

const controller = new AbortController();
let signals = 0;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    signals += 1;
    if (signals > 1) process.exit(130);
    controller.abort(new Error(`received ${signal}`));
  });
}

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`grayctl: internal error: ${error?.stack ?? error}\n`);
    process.exitCode = 1;
  },
);
