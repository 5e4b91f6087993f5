// The launcher (after grayctl.js checked the Node version): picks the build of
// the CLI to run and hands it to run-cli.js, which (with grayctl.js) holds the
// only code in grayctl that exits the process. The single binary
// (scripts/build-binary.mjs) bundles grayctl.js and run-cli.js itself, with the
// CLI in place of this file's choice.
import module from "node:module";
import { runCli } from "./run-cli.js";

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
runCli(main);
