// commander wiring. Commands are imported lazily inside their actions so that
// `grayctl --help` and `--version` never load @kubernetes/client-node or dockerode.
import { Command, CommanderError, Option } from "commander";
import { EXIT_CODE_MEANINGS, ExitCode, isGrayctlError, UsageError } from "../errors.ts";
import { missingNamespace, permissionProblem } from "../kube/errors.ts";
import type { CommandContext, GlobalOptions, Io } from "./context.ts";
import { packageFileText } from "./package-files.ts";

function packageVersion(): string {
  const pkg = JSON.parse(packageFileText("package.json", () => new URL("../../package.json", import.meta.url))) as {
    version: string;
  };
  return pkg.version;
}

/**
 * Where a release of grayctl publishes its image (docs/decisions/040): the same version
 * as the grayctl that writes the CronJob, never `latest`, so the guard's pass is the code
 * that wrote the plan it follows. Teams that build their own (`npm run image`) pass --image.
 */
const defaultGuardImage = () => `ghcr.io/grayctl/grayctl:${packageVersion()}`;

const collect = (value: string, previous: string[]) => [...previous, value];

function parseOutputFormat(value: string): "text" | "json" {
  if (value === "text" || value === "json") return value;
  throw new UsageError(`--output: "${value}" is not one of text, json`);
}

type Action = (ctx: CommandContext, ...args: unknown[]) => Promise<number>;

export async function main(argv: readonly string[], io: Io): Promise<number> {
  let exitCode: number = ExitCode.ok;
  let ctx: CommandContext | undefined;
  const program = new Command("grayctl");
  program
    .description(
      "Canary releases to Kubernetes from one command: build once, ramp traffic, gate, promote or roll back.",
    )
    .version(packageVersion(), "-V, --version", "print the version")
    .option("-c, --config <file>", "configuration file (default: $GRAYCTL_CONFIG or ./grayctl.yaml)")
    .option("-n, --namespace <name>", "Kubernetes namespace (overrides the configuration)")
    .option("--context <name>", "kubeconfig context")
    .option("--kubeconfig <file>", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    .addOption(
      new Option("-o, --output <format>", "text or json (one JSON event per line)")
        .default("text")
        .argParser(parseOutputFormat),
    )
    .option("-v, --verbose", "show debug details", false)
    .option("-q, --quiet", "only warnings, errors and the result", false)
    .option("--set <path=value>", "override a configuration value (repeatable)", collect, [])
    .option(
      "--actor <name>",
      "who is acting, for history and events (default: $GRAYCTL_ACTOR, the CI user, the OS user)",
    )
    // Every command's --help shows the global flags too: `grayctl status --help` is where one looks for -n.
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError("(run grayctl --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });

  /**
   * Wraps a lazily imported command so every command shares context and error handling.
   * `cancellable`: the command acts on the first Ctrl-C itself, at a safe point (the engine
   * rolls back or leaves the canary, a build stops, `status --watch` stops watching). Any other
   * command is stopped by the launcher at once (exit 130; after a route write under way).
   */
  const run =
    (load: () => Promise<Action>, cancellable: (options: Record<string, unknown>) => boolean = () => false) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      if (cancellable(command.opts())) io.handlesCancellation?.();
      // Loaded here, not at the top: --help and --version must not pay for yaml, zod, chalk and ora.
      const { createContext } = await import("./context.ts");
      ctx = createContext(command.optsWithGlobals() as GlobalOptions, io);
      const action = await load();
      exitCode = await action(ctx, ...args.slice(0, -1));
    };

  program
    .command("init")
    .description("write a commented grayctl.yaml to start from; with --ci, a CI pipeline")
    .option("--app <name>", "app name (default: the directory's name; with --ci, the configuration's app)")
    .option("--image <repository>", "image repository, e.g. registry.example.com/shop/checkout")
    .addOption(new Option("--router <router>", "traffic router").choices(["nginx", "istio", "gateway-api", "replicas"]))
    .option("--force", "overwrite an existing file", false)
    .addOption(
      new Option("--ci <system>", "instead: write a CI pipeline and grayctl-rbac.yaml (a Role for this app)").choices([
        "github",
        "gitlab",
      ]),
    )
    .option("--branch <name>", "with --ci github: the branch whose pushes roll out (default: main)")
    .action(
      run(
        async () =>
          (async (ctx: CommandContext, options: { ci?: string; branch?: string; app?: string; force: boolean }) => {
            if (options.ci === undefined) return (await import("./commands/init.ts")).initCommand(ctx, options);
            return (await import("./commands/init-ci.ts")).initCiCommand(ctx, { ...options, ci: options.ci });
          }) as Action,
      ),
    );

  program
    .command("validate")
    .description("check the configuration and exit 0 (valid) or 2 (invalid)")
    .action(run(async () => (await import("./commands/validate.ts")).validateCommand as Action));

  program
    .command("build")
    .description("build and push the image for HEAD, or reuse it when the registry has it")
    .action(
      run(
        async () => async (ctx: CommandContext) => {
          const { config } = await ctx.loadConfig();
          if (!config.image)
            throw new UsageError(
              "image: the configuration has no image section",
              "Add image.repository to grayctl.yaml.",
            );
          const [{ buildCommand }, { imageSettings }] = await Promise.all([
            import("./commands/build.ts"),
            import("./shared/image-settings.ts"),
          ]);
          await buildCommand({
            reporter: ctx.reporter,
            cwd: ctx.cwd,
            env: ctx.env,
            settings: imageSettings(config.image, ctx.cwd),
            signal: ctx.signal,
            quiet: ctx.globals.quiet && ctx.globals.output === "text",
          });
          return ExitCode.ok;
        },
        () => true,
      ),
    );

  program
    .command("rollout")
    .description("roll an image out through the canary steps; promote, or roll back on a failed gate")
    .option(
      "--image <ref>",
      "image to roll out (repo:tag or repo@sha256:…); default: build or reuse the image for HEAD",
    )
    .option("--supersede", "replace a rollout of another image that is in flight", false)
    .option("--force", "take the rollout lock from another live process", false)
    .option("--dry-run", "write nothing: show what the rollout would do (as `grayctl plan`)", false)
    .action(
      run(
        async () => (await import("./commands/rollout.ts")).rolloutCommand as Action,
        () => true,
      ),
    );

  program
    .command("plan")
    .description(
      "what a rollout would do now (image, steps, object diffs, gates), writing nothing; read-only RBAC suffices",
    )
    .option("--image <ref>", "image to plan for (default: the image for HEAD, found in the registry, never built)")
    .option("--supersede", "plan as if replacing a rollout of another image that is in flight", false)
    .action(run(async () => (await import("./commands/plan.ts")).planCommand as Action));

  program
    .command("rollback")
    .description("undo the rollout in flight, or the last promotion: traffic to stable in one write, canary to 0")
    .option("--to-revision <n>", "after a promotion: go back to this revision (see `grayctl history`)")
    .option("--no-wait", "do not wait for stable to roll out the restored image")
    .option(
      "--force",
      "route to stable before reading the Lease; after a promotion, take the lock from a live process (a rollout in flight is taken over without it)",
      false,
    )
    .option("--reason <text>", "why, for the history and the Kubernetes Event (default: $GRAYCTL_REASON)")
    .option("--all", "every target of the configuration at once; every target's traffic to stable first", false)
    .action(run(async () => (await import("./commands/rollback.ts")).rollbackCommand as Action));

  program
    .command("abort")
    .description("roll back the rollout in flight, taking it over from the process running it")
    .option("--reason <text>", "why, for the history and the Kubernetes Event (default: $GRAYCTL_REASON)")
    .option("--no-wait", "do not wait for stable to roll out (after an interrupted promotion)")
    .action(run(async () => (await import("./commands/abort.ts")).abortCommand as Action));

  program
    .command("status")
    .description("phase, step, weights, images and pods per track, gate results, the lock holder")
    .option("-w, --watch", "re-render on every change until the rollout ends (or Ctrl-C)", false)
    .option("--interval <duration>", "how often --watch looks", "1s")
    .option("--timeout <duration>", "how long --watch runs at most", "1h")
    .option("--all", "every target of the configuration, each from its own cluster", false)
    .action(
      run(
        async () => (await import("./commands/status.ts")).statusCommand as Action,
        (options) => options.watch === true,
      ),
    );

  program
    .command("history")
    .description("releases with revision, image, digest, commit, actor, time, outcome and reason")
    .option("--all", "every target of the configuration, each from its own cluster", false)
    .action(run(async () => (await import("./commands/history.ts")).historyCommand as Action));

  program
    .command("promote")
    .description("continue a rollout paused at a manual step; --full skips the remaining steps")
    .option("--full", "promote now, skipping the remaining steps", false)
    .option("--force", "take the rollout lock from a live process", false)
    .action(
      run(
        async () => (await import("./commands/promote.ts")).promoteCommand as Action,
        () => true,
      ),
    );

  program
    .command("resume")
    .description("continue an interrupted or orphaned rollout from its recorded step")
    .option("--force", "take the rollout lock from a live process", false)
    .action(
      run(
        async () => (await import("./commands/resume.ts")).resumeCommand as Action,
        () => true,
      ),
    );

  const guard = program
    .command("guard")
    .description(
      "one pass over every grayctl app in the namespace: an orphaned rollout (its process gone) gets its onOrphan policy",
    )
    .option("--grace <duration>", "how long past its duration a Lease must be seen unchanged", "10s")
    .option("--notify <url>", "a webhook told what the guard did (repeatable; also $GRAYCTL_GUARD_NOTIFY)", collect, [])
    .option("-w, --watch", "pass again every --interval until stopped (the Deployment form)", false)
    .option("--interval <duration>", "how often --watch passes", "30s")
    .action(
      run(
        async () => (await import("./commands/guard.ts")).guardCommand as Action,
        () => true,
      ),
    );
  guard
    .command("install")
    .description("print (or --apply) the CronJob, ServiceAccount, Role and RoleBinding that run the guard")
    .option("--schedule <cron>", "the CronJob's schedule", "*/1 * * * *")
    .option(
      "--image <ref>",
      "grayctl's image (default: the release's, ghcr.io/grayctl/grayctl:VERSION)",
      defaultGuardImage(),
    )
    .option("--apply", "create or replace the objects in the cluster", false)
    .option("--dry-run", "print the objects, change nothing (the default without --apply)", false)
    .action(run(async () => (await import("./commands/guard-install.ts")).guardInstallCommand as Action));

  const exitCodes = `\nExit codes:\n${Object.entries(EXIT_CODE_MEANINGS)
    .map(([code, meaning]) => `  ${code}  ${meaning}`)
    .join(
      "\n",
    )}\n  130  stopped by Ctrl-C (the first one for status, history, plan, rollback, abort)\nDetails per command: docs/commands.md#exit-codes`;
  for (const command of [program, ...program.commands]) command.addHelpText("after", exitCodes);

  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage mistakes with 2.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    return reportFailure(error, ctx, io);
  }
}

function reportFailure(error: unknown, ctx: CommandContext | undefined, io: Io): number {
  const reporter = ctx?.reporter;
  // A missing permission or namespace is the user's to fix (exit 2), not a bug in grayctl.
  const denied = permissionProblem(error) ?? missingNamespace(error);
  if (denied) error = new UsageError(denied.message, denied.hint);
  if (isGrayctlError(error)) {
    const text = error.hint ? `${error.message}\n${error.hint}` : error.message;
    if (reporter) reporter.result("error", { exitCode: error.exitCode, error: error.message, hint: error.hint }, text);
    else io.stderr.write(`grayctl: ${text}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  const detail = ctx?.globals.verbose && error instanceof Error ? `\n${error.stack}` : "";
  const text = `internal error: ${message}${detail}\nThis is a bug in grayctl; rerun with --verbose and report it.`;
  if (reporter) reporter.result("error", { exitCode: ExitCode.internal, error: message }, text);
  else io.stderr.write(`grayctl: ${text}\n`);
  return ExitCode.internal;
}

export { UsageError };
