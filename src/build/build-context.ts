// The build context as a tar stream, honouring .dockerignore the way the Docker
// CLI does: patterns match paths relative to the context, `!` re-includes, and
// the Dockerfile and .dockerignore are always sent (the engine needs the first).
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { Readable } from "node:stream";
import dockerignoreModule from "@balena/dockerignore";
import { pack } from "tar-fs";
import { BuildUserError } from "./errors.ts";

// The package is CommonJS (`module.exports = factory`) but its types declare an ES
// default export, so under nodenext the default import is typed as the namespace.
const dockerignore = dockerignoreModule as unknown as typeof dockerignoreModule.default;

export interface BuildContext {
  stream: Readable;
  /** number of files sent, for --verbose */
  fileCount: number;
}

export async function createBuildContext(
  contextDir: string,
  dockerfile: string,
  /** Files never sent (grayctl's own CI reports, src/ci/report-paths.ts), as absolute resolved paths. */
  ownFiles: ReadonlySet<string> = new Set(),
): Promise<BuildContext> {
  const contextStat = await stat(contextDir).catch(() => undefined);
  if (!contextStat?.isDirectory()) {
    throw new BuildUserError(`image.context ${contextDir} is not a directory`);
  }
  const dockerfilePath = toPosix(dockerfile);
  if (dockerfilePath.startsWith("../") || dockerfilePath.startsWith("/")) {
    throw new BuildUserError(`image.dockerfile "${dockerfile}" must be inside image.context ${contextDir}`);
  }
  const dockerfileStat = await stat(join(contextDir, dockerfile)).catch(() => undefined);
  if (!dockerfileStat?.isFile()) {
    throw new BuildUserError(`image.dockerfile: ${join(contextDir, dockerfile)} does not exist`);
  }

  const filter = await ignoreFilter(contextDir);
  const resolvedContext = await realpath(contextDir);
  const alwaysSent = new Set([dockerfilePath, ".dockerignore"]);
  const included = new Set<string>();
  let fileCount = 0;
  // One walk decides every path; tar-fs then asks `included` for each one.
  const entries = await readdir(contextDir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    const path = toPosix(relative(contextDir, join(entry.parentPath, entry.name)));
    if (entry.isDirectory()) continue;
    if (ownFiles.has(join(resolvedContext, path))) continue;
    if (!alwaysSent.has(path) && !filter(path)) continue;
    included.add(path);
    fileCount++;
    // Parent directories carry the files; they go in the tar too.
    for (let slash = path.lastIndexOf("/"); slash > 0; slash = path.lastIndexOf("/", slash - 1)) {
      included.add(path.slice(0, slash));
    }
  }

  const stream = pack(contextDir, {
    ignore: (name) => !included.has(toPosix(relative(contextDir, name))),
    // Sorted entries make the tar, and so the build cache keys, stable.
    sort: true,
  } as Parameters<typeof pack>[1] & { sort: boolean }) as unknown as Readable;
  return { stream, fileCount };
}

async function ignoreFilter(contextDir: string): Promise<(path: string) => boolean> {
  let text: string;
  try {
    text = await readFile(join(contextDir, ".dockerignore"), "utf8");
  } catch {
    return () => true;
  }
  return dockerignore({ ignorecase: false }).add(text).createFilter();
}

function toPosix(path: string): string {
  return path.split(sep).join("/").replace(/^\.\//, "");
}
