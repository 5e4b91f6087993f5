// grayctl's single binary (npm run build:binary → dist/bin/grayctl-linux-x64),
// built once for the suites that run it: rebuilt only when a source it is made
// of is newer than it, so that a test never runs a stale binary and the
// real-parts stage pays the build (about 10 s) once.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const BINARY = join(ROOT, "dist/bin/grayctl-linux-x64");

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** Builds the binary unless it is newer than every file it is made of; returns its path. */
export function ensureBinary(): string {
  const sources = ["src", "bin", "templates", "package.json", "scripts/build-binary.mjs"];
  let built = 0;
  try {
    built = statSync(BINARY).mtimeMs;
  } catch {}
  if (built > Math.max(...sources.map((source) => newest(join(ROOT, source))))) return BINARY;
  const build = spawnSync(process.execPath, [join(ROOT, "scripts/build-binary.mjs")], { encoding: "utf8" });
  if (build.status !== 0) throw new Error(`npm run build:binary failed:\n${build.stdout}\n${build.stderr}`);
  return BINARY;
}
