// What every command receives: parsed global flags, the reporter, the
// environment and a cancellation signal. Commands never read process.* directly.
import { type LoadedConfig, loadConfig } from "../config/load.ts";
import { ciIntegrations } from "../ci/index.ts";
import { createReporter, type OutputFormat } from "../output/index.ts";
import { serviceAccountDirFor } from "./shared/test-hooks.ts";
import type { BaseReporter, Sink } from "../output/reporter.ts";

export interface GlobalOptions {
  config?: string;
  namespace?: string;
  context?: string;
  kubeconfig?: string;
  output: OutputFormat;
  verbose: boolean;
  quiet: boolean;
  set: string[];
  /** Who is acting, for history and events (default: $GRAYCTL_ACTOR, the CI user, the OS user). */
  actor?: string;
}

export interface Io {
  stdout: Sink;
  stderr: Sink;
  env: Record<string, string | undefined>;
  cwd: string;
  signal: AbortSignal;
  now?: () => Date;
  /**
   * To the launcher: this command acts on the first SIGINT/SIGTERM (`signal`) at a safe point.
   * A command that does not call it is stopped by the first signal at once (exit 130).
   */
  handlesCancellation?: () => void;
  /** From the launcher: runs `work` to its end even when a signal that exits arrives meanwhile, then exits. */
  uninterruptible?: <T>(work: () => Promise<T>) => Promise<T>;
  /** From the launcher: `report` runs (synchronously) just before a signal exits the process. */
  onForcedExit?: (report: (signal: string) => void) => void;
}

export interface CommandContext {
  globals: GlobalOptions;
  reporter: BaseReporter;
  env: Record<string, string | undefined>;
  cwd: string;
  signal: AbortSignal;
  now: () => Date;
  uninterruptible?: <T>(work: () => Promise<T>) => Promise<T>;
  loadConfig(): Promise<LoadedConfig>;
  /** A target of a release in waves: told when its engine meets an API outage (RolloutContext.onOutage). */
  onOutage?: (what: string) => void;
}

export function createContext(globals: GlobalOptions, io: Io): CommandContext {
  const reporter = createReporter({
    format: globals.output,
    stdout: io.stdout,
    stderr: io.stderr,
    env: io.env,
    ci: (ciIo) => ciIntegrations(io.env, io.cwd, ciIo),
    verbose: globals.verbose,
    quiet: globals.quiet,
    now: io.now,
  });
  // A signal that exits: the command still says how it ended (in CI: summary, outputs, dotenv).
  io.onForcedExit?.((signal) => {
    if (reporter.hasResult) return;
    reporter.result(
      "interrupted",
      { exitCode: 130, reason: `${signal} ended grayctl before the command did` },
      `stopped by ${signal} before the command ended; \`grayctl status\` shows where it stands, \`grayctl rollback\` finishes a rollback`,
    );
  });
  let loaded: Promise<LoadedConfig> | undefined;
  return {
    globals,
    reporter,
    env: io.env,
    cwd: io.cwd,
    signal: io.signal,
    now: io.now ?? (() => new Date()),
    uninterruptible: io.uninterruptible,
    loadConfig() {
      // -n beats the file (it is validated as the file's field is), the file beats the kubeconfig context's
      // namespace, and that beats "default" (decision 035).
      loaded ??= loadConfig({
        cwd: io.cwd,
        env: io.env,
        configPath: globals.config,
        sets: globals.set,
        namespace: globals.namespace,
        // Registered while the file is read, before validation: an invalid configuration's errors are masked too.
        onSecret: (secret) => reporter.redact(secret),
      }).then(async (result) => {
        if (!result.namespaceGiven) {
          // Loaded only here: the Kubernetes client is large, and most configurations name their namespace.
          const { contextNamespace } = await import("../kube/kubeconfig.ts");
          const fromContext = contextNamespace({
            kubeconfig: globals.kubeconfig,
            context: globals.context,
            env: io.env,
            serviceAccountDir: serviceAccountDirFor(io.env),
          });
          if (fromContext) result.config.namespace = fromContext;
        }
        // issue 22: a target that names no namespace takes its own context's, as the app without targets does.
        for (const target of result.targets ?? []) {
          if (target.namespaceGiven) continue;
          const { contextNamespace } = await import("../kube/kubeconfig.ts");
          const fromContext = contextNamespace({
            kubeconfig: target.kubeconfig ?? globals.kubeconfig,
            context: target.context,
            env: io.env,
            serviceAccountDir: serviceAccountDirFor(io.env),
          });
          if (fromContext) target.config.namespace = fromContext;
        }
        return result;
      });
      return loaded;
    },
  };
}
