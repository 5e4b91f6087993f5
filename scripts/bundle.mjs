// Bundles the CLI that the package ships (dist/bundle/), with esbuild: the
// sources and their dependencies in a few files instead of the ~1,500 modules
// @kubernetes/client-node, zod and dockerode are made of, which is most of a
// command's start-up time. Every `await import()` in src/cli stays a split
// point, so `--help` loads commander alone, status/rollback/history load the
// Kubernetes client but not the engine, and only build/rollout load dockerode.
// Plain JavaScript so that `npm run build` works on any Node the lifecycle picks.
// Run: node scripts/bundle.mjs                  (the CLI, into dist/bundle/)
//      node scripts/bundle.mjs --action [OUTDIR] (the CLI, into action/dist/: the copy committed for
//                                                 the GitHub Action, decision 038; `npm run build:action`)
//      node scripts/bundle.mjs ENTRY.ts OUTDIR  (another entry bundled alike: the bench's gate runner)
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const action = process.argv[2] === "--action";
const [otherEntry, otherOutdir] = action ? [] : process.argv.slice(2);
const cli = otherEntry === undefined;
// action/dist/ sits two folders below the package root, as dist/bundle/ does: the paths below hold for both.
const outdir = action
  ? resolve(process.argv[3] ?? join(root, "action/dist"))
  : cli
    ? join(root, "dist/bundle")
    : resolve(otherOutdir);

/**
 * `import … from "node:http"` builds an ES module facade of http, and building
 * it reads every export, among them the lazy WebSocket/MessageEvent getters
 * that load Node's internal copy of undici: about 20 ms, on every command that
 * talks to a cluster. require() hands over the same module without the facade.
 */
const httpThroughRequire = {
  name: "http-through-require",
  setup(build) {
    build.onResolve({ filter: /^(node:)?http$/ }, (args) =>
      args.kind === "require-call" ? undefined : { path: "http", namespace: "http-through-require" },
    );
    build.onLoad({ filter: /.*/, namespace: "http-through-require" }, () => ({
      contents: 'module.exports = require("node:http");',
      loader: "js",
    }));
  },
};

rmSync(outdir, { recursive: true, force: true });
const result = await esbuild.build({
  absWorkingDir: root,
  // The entry sits two folders below the package root and every chunk three,
  // as src/cli/main.ts and src/cli/commands/*.ts do: their `new URL("../../package.json",
  // import.meta.url)` and `../../../templates/` hold in the bundle too.
  entryPoints: cli ? { grayctl: "src/cli/main.ts" } : [resolve(otherEntry)],
  // Outside the package (no "type": "module" above it), an ES module needs .mjs.
  outExtension: cli ? {} : { ".js": ".mjs" },
  outdir,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node22",
  // Whitespace and syntax only: names stay readable in a --verbose stack trace.
  minifyWhitespace: true,
  minifySyntax: true,
  // ssh2 (under dockerode) loads optional native add-ons inside try/catch and
  // falls back to JavaScript without them; a bundle cannot carry them anyway.
  external: ["*.node", "cpu-features"],
  // CommonJS dependencies call require() for Node's built-ins, and some (ssh2's
  // WebAssembly loader) read __dirname: an ES module has neither of its own.
  banner: {
    js: [
      'import { createRequire as __grayctlRequire } from "node:module";',
      'import { dirname as __grayctlDirname } from "node:path";',
      'import { fileURLToPath as __grayctlPath } from "node:url";',
      "const require = __grayctlRequire(import.meta.url);",
      "const __filename = __grayctlPath(import.meta.url);",
      "const __dirname = __grayctlDirname(__filename);",
    ].join(" "),
  },
  legalComments: "none",
  // Paths as the checkout sees them: a worktree whose node_modules is a symlink
  // (to another checkout's) must build byte for byte what a clean clone builds,
  // or check:action fails on a bundle that is right.
  preserveSymlinks: true,
  plugins: [httpThroughRequire],
  metafile: true,
  logLevel: "warning",
});

if (cli) {
  writeFileSync(join(outdir, "THIRD-PARTY-NOTICES.txt"), notices(result.metafile));
  // What went where, for https://esbuild.github.io/analyze/ (beside the bundle, not shipped).
  if (!action) writeFileSync(join(root, "dist/bundle-meta.json"), JSON.stringify(result.metafile));
  for (const line of summary(result.metafile)) console.log(line);
}

/** The license of every package the bundle carries code from, since the bundle redistributes them. */
function notices(metafile) {
  const packages = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match && !packages.has(match[1])) packages.set(match[1], packageLicense(join(root, match[1])));
  }
  const sections = [...packages.values()]
    .filter((p) => p.name)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((p) => `${p.name}@${p.version} (${p.license})\n\n${p.text ?? "(no license file in the package)"}`);
  return `grayctl's bundle includes code from these packages, under their licenses:\n\n${sections.join(`\n\n${"-".repeat(72)}\n\n`)}\n`;
}

function packageLicense(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  let text;
  for (const name of ["LICENSE", "LICENSE.md", "LICENSE.txt", "license", "LICENCE", "license.md"]) {
    try {
      text = readFileSync(join(dir, name), "utf8").trim();
      break;
    } catch {}
  }
  return { name: pkg.name, version: pkg.version, license: pkg.license ?? "see text", text };
}

/** One line per output file: its size, and the package (or source folder) most of it comes from. */
function summary(metafile) {
  const outputs = Object.entries(metafile.outputs).filter(([file]) => file.endsWith(".js"));
  const total = outputs.reduce((sum, [, output]) => sum + output.bytes, 0);
  const lines = [`${relative(root, outdir) || outdir}: ${outputs.length} files, ${(total / 1024).toFixed(0)} KiB`];
  for (const [file, output] of outputs.sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 6)) {
    const origins = new Map();
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const origin = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? dirname(input);
      origins.set(origin, (origins.get(origin) ?? 0) + bytesInOutput);
    }
    const main = [...origins].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "";
    lines.push(
      `  ${relative(outdir, join(root, file)).padEnd(34)} ${(output.bytes / 1024).toFixed(0).padStart(6)} KiB  mostly ${main}`,
    );
  }
  return lines;
}
