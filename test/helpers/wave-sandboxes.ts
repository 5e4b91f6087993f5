// Two sandboxes (two API servers, each with its own pods) behind one
// kubeconfig with a context each (`a`, `b`), for releases in waves (issue 22),
// and the built grayctl run against them as a user would.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { type Sandbox, type SandboxOptions, startSandbox } from "../../sandbox/index.ts";
import { R } from "../../sandbox/resources.ts";
import { type CliResult, runCli } from "./cli.ts";

export interface WaveSandboxes {
  a: Sandbox;
  b: Sandbox;
  /** A temp directory for configurations and reports; removed by stop(). */
  dir: string;
  kubeconfig: string;
  /** grayctl with `config` written to a file, pointed at the kubeconfig (contexts a and b). */
  grayctl(config: string, args: string[], env?: Record<string, string>): Promise<CliResult>;
  stableImage(sandbox: Sandbox, app: string): string | undefined;
  stop(): Promise<void>;
}

export async function startWaveSandboxes(options: SandboxOptions = {}): Promise<WaveSandboxes> {
  const [a, b] = await Promise.all([startSandbox(options), startSandbox(options)]);
  const dir = await mkdtemp(join(tmpdir(), "grayctl-waves-"));
  const kubeconfig = join(dir, "kubeconfig");
  const cluster = (name: string, sandbox: Sandbox) => ({
    cluster: { name, cluster: { server: sandbox.url, "insecure-skip-tls-verify": true } },
    user: { name, user: { token: sandbox.token } },
    context: { name, context: { cluster: name, user: name, namespace: "default" } },
  });
  const entries = [cluster("a", a), cluster("b", b)];
  await writeFile(
    kubeconfig,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: entries.map((e) => e.cluster),
      users: entries.map((e) => e.user),
      contexts: entries.map((e) => e.context),
      "current-context": "a",
    }),
    { mode: 0o600 },
  );
  return {
    a,
    b,
    dir,
    kubeconfig,
    async grayctl(config, args, env = {}) {
      const file = join(dir, `grayctl-${Math.random().toString(36).slice(2)}.yaml`);
      await writeFile(file, config);
      return runCli(["--kubeconfig", kubeconfig, "--config", file, ...args], {
        cwd: dir,
        timeoutMs: 90_000,
        env: { GRAYCTL_ACTOR: "test-runner", GRAYCTL_TEST: "1", KUBECONFIG: undefined as unknown as string, ...env },
      });
    },
    stableImage: (sandbox, app) =>
      sandbox.store.get(R.deployments, "default", app)?.spec.template.spec.containers[0].image,
    async stop() {
      await Promise.all([a.stop(), b.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
