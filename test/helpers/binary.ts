// grayctl's single binary (npm run build:binary → dist/bin/grayctl-linux-x64),
// built once for the suites that run it: rebuilt only when a source it is made
// of is newer than it, so that a test never runs a stale binary and the
// real-parts stage pays the build (about 10 s) once.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const BINARY = join(ROOT, "dist/bin/grayctl-linux-x64");

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

function current(): boolean {
  const sources = ["src", "bin", "templates", "package.json", "scripts/build-binary.mjs"];
  let built = 0;
  try {
    built = statSync(BINARY).mtimeMs;
  } catch {}
  return built > Math.max(...sources.map((source) => newest(join(ROOT, source))));
}

/**
 * Builds the binary unless it is newer than every file it is made of; returns
 * its path. Test files run two at a time: a lock folder makes the second wait
 * for the first one's build (up to 3 minutes) instead of building it again.
 */
export function ensureBinary(): string {
  const lock = join(ROOT, "dist/bin/.building");
  mkdirSync(join(ROOT, "dist/bin"), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${lock} held for 3 minutes: remove it if no build is running`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  try {
    if (current()) return BINARY;
    const build = spawnSync(process.execPath, [join(ROOT, "scripts/build-binary.mjs")], { encoding: "utf8" });
    if (build.status !== 0) throw new Error(`npm run build:binary failed:\n${build.stdout}\n${build.stderr}`);
    return BINARY;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
