// Builds grayctl's single binary for linux-x64 (dist/bin/grayctl-linux-x64) with
// Node's single-executable-application support (decision 040): one CommonJS file
// bundled from bin/grayctl.js (the Node-version check) and bin/run-cli.js (the
// signal handling) with the CLI's sources, prepared as a SEA blob with V8's code
// cache, and injected into a copy of the Node binary the project pins. On-call
// then needs no Node, and grayctl's image no Node runtime.
// Run: node scripts/build-binary.mjs   (npm run build:binary)
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const output = join(root, "dist/bin/grayctl-linux-x64");
mkdirSync(dirname(output), { recursive: true });
// A folder of this build's own, and the binary renamed into place at the end:
// two builds at once (two test files) never mix their files or leave half a binary.
const work = mkdtempSync(join(dirname(output), "sea-"));
const partial = join(work, "grayctl-linux-x64");
process.on("exit", () => rmSync(work, { recursive: true, force: true }));
const require = createRequire(import.meta.url);
// The Node 24 the project pins (npm `node`), not whichever Node runs this script.
const node = join(dirname(require.resolve("node/package.json")), "bin/node");

if (process.platform !== "linux" || process.arch !== "x64") {
  console.error(`build-binary: builds on linux-x64 only (this is ${process.platform}-${process.arch})`);
  process.exit(2);
}

/** bin/grayctl.js imports ./launch.js, which picks a build on disk; the binary carries the CLI instead. */
const launchInBinary = {
  name: "launch-in-binary",
  setup(build) {
    build.onResolve({ filter: /^\.\/launch\.js$/ }, () => ({ path: "launch", namespace: "launch-in-binary" }));
    build.onLoad({ filter: /.*/, namespace: "launch-in-binary" }, () => ({
      contents:
        'import { main } from "./src/cli/main.ts";\nimport { runCli } from "./bin/run-cli.js";\nrunCli(main);\n',
      resolveDir: root,
      loader: "js",
    }));
  },
};

const bundle = join(work, "grayctl.cjs");
await esbuild.build({
  absWorkingDir: root,
  entryPoints: ["bin/grayctl.js"],
  outfile: bundle,
  bundle: true,
  // A SEA's main script runs as CommonJS (Node 24); every `await import()` of the
  // CLI becomes a lazy require of code in the same file, so --version still loads
  // neither the Kubernetes client nor dockerode.
  format: "cjs",
  platform: "node",
  target: "node24",
  minifyWhitespace: true,
  minifySyntax: true,
  // As in scripts/bundle.mjs: optional native add-ons that ssh2 falls back from.
  external: ["*.node", "cpu-features"],
  // import.meta.url is only read outside the binary (src/cli/package-files.ts).
  logOverride: { "empty-import-meta": "silent" },
  legalComments: "none",
  plugins: [launchInBinary],
  logLevel: "warning",
});

// The package's files the CLI reads (package.json for --version, templates/ for init), as SEA assets.
const assets = { "package.json": join(root, "package.json") };
for (const file of files(join(root, "templates"))) assets[relative(root, file)] = file;
const blob = join(work, "sea-prep.blob");
const config = join(work, "sea-config.json");
writeFileSync(
  config,
  JSON.stringify({ main: bundle, output: blob, useCodeCache: true, disableExperimentalSEAWarning: true, assets }),
);
execFileSync(node, ["--experimental-sea-config", config], { stdio: "inherit" });

copyFileSync(node, partial);
chmodSync(partial, 0o755);
// postject prints "Can't find string offset" warnings for Node's own sections: harmless.
execFileSync(
  process.execPath,
  [
    require.resolve("postject/dist/cli.js"),
    partial,
    "NODE_SEA_BLOB",
    blob,
    "--sentinel-fuse",
    "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2",
  ],
  { stdio: ["ignore", "ignore", "inherit"] },
);
renameSync(partial, output);
const mb = (statSync(output).size / 1024 / 1024).toFixed(0);
const js = (statSync(bundle).size / 1024).toFixed(0);
console.log(
  `${relative(root, output)}: ${mb} MiB (Node ${execFileSync(node, ["--version"]).toString().trim()} with ${js} KiB of grayctl)`,
);

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}
