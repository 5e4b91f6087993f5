// Two sandboxes (two API servers, each with its own pods) behind one
// kubeconfig with a context each (`a`, `b`), for releases in waves (issue 22),
// and the built grayctl run against them as a user would: target-sandboxes.ts
// with the names these suites use.
import type { Sandbox, SandboxOptions } from "../../sandbox/index.ts";
import { R } from "../../sandbox/resources.ts";
import type { CliResult } from "./cli.ts";
import { startTargetSandboxes } from "./target-sandboxes.ts";

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
  const targets = await startTargetSandboxes(["a", "b"], options);
  return {
    a: targets.sandboxes.a,
    b: targets.sandboxes.b,
    dir: targets.dir,
    kubeconfig: targets.kubeconfig,
    grayctl: targets.grayctl,
    stableImage: (sandbox, app) =>
      sandbox.store.get(R.deployments, "default", app)?.spec.template.spec.containers[0].image,
    stop: targets.stop,
  };
}
