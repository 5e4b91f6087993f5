// Temp git repositories for tests: real git, argument arrays, no global config.
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";

export interface TempRepo {
  dir: string;
  git(...args: string[]): Promise<string>;
  write(path: string, content: string): Promise<void>;
  commitAll(message: string): Promise<string>;
  remove(): Promise<void>;
}

// Isolated from the machine's ~/.gitconfig, so tests behave the same everywhere.
export const gitTestEnv: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: "/nonexistent",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.com",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.com",
};

export async function tempRepo(prefix = "grayctl-build-"): Promise<TempRepo> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const git = async (...args: string[]) =>
    String((await execa("git", args, { cwd: dir, env: gitTestEnv, extendEnv: false })).stdout);
  await git("init", "--quiet", "--initial-branch=main");
  return {
    dir,
    git,
    async write(path, content) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    },
    async commitAll(message) {
      await git("add", "-A");
      await git("commit", "--quiet", "-m", message);
      return git("rev-parse", "HEAD");
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
