// Several sandboxes (an API server and pods each) behind one kubeconfig with a
// context per sandbox, plus a context "gone" whose server refuses every
// connection: the clusters of a release in waves (issue 22).
import { writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { type Sandbox, type SandboxOptions, startSandbox } from "../../sandbox/index.ts";
import { type CliResult, runCli, spawnCli } from "./cli.ts";

export interface TargetSandboxes {
  sandboxes: Record<string, Sandbox>;
  dir: string;
  kubeconfig: string;
  /** grayctl with this configuration and these contexts, as a user runs it. */
  grayctl(config: string, args: string[], env?: Record<string, string>): Promise<CliResult>;
  /** The same, left running. */
  spawn(config: string, args: string[], env?: Record<string, string>): ReturnType<typeof spawnCli>;
  stop(): Promise<void>;
}

const ENV = { GRAYCTL_ACTOR: "test-runner", GRAYCTL_TEST: "1", KUBECONFIG: undefined as unknown as string };

export async function startTargetSandboxes(names: string[], options: SandboxOptions = {}): Promise<TargetSandboxes> {
  const started = await Promise.all(names.map(() => startSandbox(options)));
  const sandboxes = Object.fromEntries(names.map((name, index) => [name, started[index]]));
  const dir = await mkdtemp(join(tmpdir(), "grayctl-targets-"));
  const kubeconfig = join(dir, "kubeconfig");
  const entry = (name: string, server: string, token: string) => ({
    cluster: { name, cluster: { server, "insecure-skip-tls-verify": true } },
    user: { name, user: { token } },
    context: { name, context: { cluster: name, user: name, namespace: "default" } },
  });
  // "gone": nothing listens on port 9 (discard), so every request is refused.
  const entries = [...names.map((name) => entry(name, sandboxes[name].url, sandboxes[name].token))];
  entries.push(entry("gone", "http://127.0.0.1:9", "x"));
  await writeFile(
    kubeconfig,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: entries.map((e) => e.cluster),
      users: entries.map((e) => e.user),
      contexts: entries.map((e) => e.context),
      "current-context": names[0],
    }),
    { mode: 0o600 },
  );
  const configFile = (config: string) => {
    const file = join(dir, `grayctl-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, config);
    return file;
  };
  return {
    sandboxes,
    dir,
    kubeconfig,
    async grayctl(config, args, env = {}) {
      return runCli(["--kubeconfig", kubeconfig, "--config", configFile(config), ...args], {
        cwd: dir,
        timeoutMs: 90_000,
        env: { ...ENV, ...env },
      });
    },
    spawn(config, args, env = {}) {
      return spawnCli(["--kubeconfig", kubeconfig, "--config", configFile(config), ...args], {
        cwd: dir,
        env: { ...ENV, ...env },
      });
    },
    async stop() {
      await Promise.all(started.map((sandbox) => sandbox.stop()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
