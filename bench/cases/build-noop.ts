// build-noop: `grayctl build` on a commit whose image the registry already has
// (a tag lookup, no build) against `docker build` of the same context with a
// warm cache. Needs the Docker Engine and the registry on 127.0.0.1:5000
// (scripts/real-parts.sh); skipped with a note when either is absent.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GRAYCTL } from "../lib/cluster.ts";
import { type CaseResult, interleaved, ratio, side, timed } from "../lib/measure.ts";

const REGISTRY = "127.0.0.1:5000";

export async function missingBuildParts(): Promise<string | undefined> {
  if (spawnSync("docker", ["info"], { stdio: "ignore" }).status !== 0)
    return "the Docker Engine is not running (sudo scripts/real-parts.sh starts it)";
  try {
    await fetch(`http://${REGISTRY}/v2/`, { signal: AbortSignal.timeout(3000) });
  } catch {
    return `no registry at ${REGISTRY} (sudo scripts/real-parts.sh starts one)`;
  }
  return undefined;
}

export async function buildNoop(runs: number): Promise<CaseResult> {
  const dir = await mkdtemp(join(tmpdir(), "grayctl-bench-build-"));
  try {
    const git = (...args: string[]) => spawnSync("git", ["-C", dir, ...args], { encoding: "utf8" });
    await writeFile(join(dir, "Dockerfile"), "FROM scratch\nCOPY hello.txt /hello.txt\n");
    await writeFile(join(dir, "hello.txt"), "hello\n");
    await writeFile(join(dir, "grayctl.yaml"), `app: noop\nimage:\n  repository: ${REGISTRY}/grayctl-bench/noop\n`);
    git("init", "-q");
    git("add", "-A");
    git("-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-qm", "bench");
    const { GRAYCTL_UNBUNDLED: _, ...env } = process.env;
    const first = await timed(process.execPath, [GRAYCTL, "build"], { cwd: dir, env });
    if (first.code !== 0) throw new Error(`grayctl build failed: ${first.stderr}`);
    const [grayctl, docker] = await interleaved(runs, [
      () => timed(process.execPath, [GRAYCTL, "build"], { cwd: dir, env }),
      () => timed("docker", ["build", "-q", "-t", `${REGISTRY}/grayctl-bench/noop:warm`, dir]),
    ]);
    const subject = side("grayctl build (already pushed)", grayctl);
    const baseline = side("docker build (warm cache)", docker);
    return { case: "build-noop", subject, baseline, ratio: ratio(subject, baseline), ratioOf: "wall time" };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
