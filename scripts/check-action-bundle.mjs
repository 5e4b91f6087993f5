// Checks that the GitHub Action's committed bundle (action/dist/) is what the
// sources build to, byte for byte: it rebuilds the bundle into a temporary
// folder (esbuild's output is deterministic for the same sources and
// dependencies) and compares every file. A difference means src/ changed
// without `npm run build:action`: the action would run old code (decision 038).
// Run: node scripts/check-action-bundle.mjs   (`npm run check:action`, in .ci/run)
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const committed = join(root, "action/dist");
const fresh = mkdtempSync(join(tmpdir(), "grayctl-action-bundle-"));

/** Every file under `dir`, as paths relative to it. */
function files(dir) {
  let found = [];
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      found = entry.isDirectory() ? [...found, ...files(path).map((f) => join(entry.name, f))] : [...found, entry.name];
    }
  } catch (error) {
    if (error.code !== "ENOENT") throw error;
  }
  return found.sort();
}

try {
  const built = spawnSync(process.execPath, [join(root, "scripts/bundle.mjs"), "--action", fresh], {
    cwd: root,
    encoding: "utf8",
  });
  if (built.status !== 0) {
    process.stderr.write(built.stdout + built.stderr);
    console.error("check:action: the bundle did not build");
    process.exit(1);
  }
  const want = files(fresh);
  const have = files(committed);
  const differences = [
    ...want.filter((f) => !have.includes(f)).map((f) => `missing: ${f}`),
    ...have.filter((f) => !want.includes(f)).map((f) => `not built from the sources any more: ${f}`),
    ...want
      .filter((f) => have.includes(f) && !readFileSync(join(fresh, f)).equals(readFileSync(join(committed, f))))
      .map((f) => `differs: ${f}`),
  ];
  if (differences.length > 0) {
    console.error(`check:action: ${relative(root, committed)}/ is not what the sources build to:`);
    for (const line of differences.slice(0, 20)) console.error(`  ${line}`);
    if (differences.length > 20) console.error(`  … and ${differences.length - 20} more`);
    console.error("Run `npm run build:action` and commit action/dist/ with the change to src/.");
    process.exit(1);
  }
  console.log(`check:action: action/dist/ matches the sources (${want.length} files)`);
} finally {
  rmSync(fresh, { recursive: true, force: true });
}
