// client-node runs a kubeconfig's exec credential plugin (aws eks get-token,
// gke-gcloud-auth-plugin, kubelogin) with child_process.spawn and no timeout,
// before the request's own deadline starts: a plugin that hangs (its cloud's
// token endpoint down, a login prompt nobody answers in CI) would stall every
// request. Here each run is bounded and killed when it overruns, the token it
// hands out is redacted from output, and its failures never quote what it
// printed (its stdout carries the token; its stderr may carry anything).
import { type ChildProcess, spawn } from "node:child_process";
import type { KubeConfig, User } from "@kubernetes/client-node";
import { UsageError } from "../errors.ts";

/** The plugin did not answer in time; retried like any transient failure (its code says so). */
export class ExecPluginTimeoutError extends Error {
  readonly code = "ETIMEDOUT";
}

interface ExecCredential {
  status?: { token?: string; clientKeyData?: string };
}

/** The parts of client-node's ExecAuth used here (it is not exported; KubeConfig keeps an instance). */
interface ExecAuthLike {
  execFn: typeof spawn;
  getCredential(user: User): Promise<ExecCredential | null>;
}

function execAuthOf(config: KubeConfig): ExecAuthLike | undefined {
  const authenticators = (config as unknown as { authenticators?: unknown[] }).authenticators ?? [];
  return authenticators.find(
    (candidate): candidate is ExecAuthLike =>
      typeof (candidate as ExecAuthLike).getCredential === "function" && "execFn" in (candidate as object),
  );
}

export function boundExecPlugins(config: KubeConfig, redact: (secret: string) => void, timeoutMs: number): void {
  // Killed by the timer below when it overruns.
  const exec = execAuthOf(config);
  if (!exec) return;
  let spawned: ChildProcess | undefined;
  exec.execFn = ((command: string, args: readonly string[], options: object) => {
    spawned = spawn(command, args, options);
    return spawned;
  }) as typeof spawn;
  const getCredential = exec.getCredential.bind(exec);
  exec.getCredential = async (user) => {
    const command = (user.exec as { command?: string } | undefined)?.command ?? "the exec plugin";
    // ExecAuth spawns synchronously inside the call (or not at all, from its cache): this call's child is known here.
    spawned = undefined;
    const pending = getCredential(user);
    const child = spawned as ChildProcess | undefined;
    let timer: NodeJS.Timeout | undefined;
    const overran = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        child?.kill("SIGKILL");
        // A shell plugin's own children may hold its pipes open, and an open pipe keeps grayctl alive.
        child?.stdout?.destroy();
        child?.stderr?.destroy();
        reject(
          new ExecPluginTimeoutError(
            `the kubeconfig's exec credential plugin (${command}) did not answer within ${timeoutMs / 1000}s`,
          ),
        );
      }, timeoutMs);
    });
    try {
      const credential = await Promise.race([pending, overran]);
      for (const secret of [credential?.status?.token, credential?.status?.clientKeyData]) if (secret) redact(secret);
      return credential;
    } catch (error) {
      if (error instanceof ExecPluginTimeoutError) throw error;
      // JSON.parse quotes what it could not parse, i.e. the plugin's stdout: never pass that on.
      if (error instanceof SyntaxError)
        throw new UsageError(
          `the kubeconfig's exec credential plugin (${command}) printed no valid ExecCredential JSON`,
        );
      // What it said on stderr is not passed on either: a plugin may print what it was given.
      throw new UsageError(
        `the kubeconfig's exec credential plugin (${command}) failed`,
        "Run it yourself to see why (it may need a login), or pass another --kubeconfig or --context.",
      );
    } finally {
      clearTimeout(timer);
      pending.catch(() => {});
    }
  };
}
