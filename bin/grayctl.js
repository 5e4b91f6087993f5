#!/usr/bin/env node
// The launcher: the only code in grayctl that exits the process. It maps the
// first SIGINT/SIGTERM to a cancellation the command handles at a safe point;
// a second one exits at once.
import module from "node:module";

// Reuse compiled bytecode across runs (Node >= 22.1): @kubernetes/client-node is
// thousands of modules, and an on-call `grayctl rollback` should not wait for them.
module.enableCompileCache?.();
const { main } = await import("../dist/cli/main.js");

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
