// The command gate: a local command run at each step's end (a smoke test, a
// load test, a script that asks any system), with the step in its
// environment. Exit 0 passes, any other exit fails, a timeout is inconclusive
// (the engine waits another window, then fails safe, as for missing data).
// Arguments go to the program as an array: no shell unless the user names one.
import { execa } from "execa";
import { gateEnvironment } from "./gate-env.ts";
import type { Gate, GateContext, GateResult, GateSource } from "./types.ts";

export interface CommandCheck {
  name: string;
  /** Program and arguments, never joined into a shell line. */
  command: string[];
  timeoutMs: number;
}

export interface CommandGateDeps {
  /** grayctl's own environment, which the command inherits. */
  env: Record<string, string | undefined>;
  cwd: string;
  /** Masks the secrets grayctl knows of in the output's tail before it goes anywhere. */
  redact: (text: string) => string;
  /** Milliseconds on a monotonic clock, to time the command (default performance.now). */
  monotonic?: () => number;
}

/** How long a command has between SIGTERM and SIGKILL once its time is up. */
const KILL_GRACE_MS = 5_000;
/** The output kept while the command runs, and the tail shown. */
const KEEP_BYTES = 16_384;
const TAIL_LINES = 15;
const TAIL_CHARS = 1_500;

export function tailOf(output: string): string {
  const lines = output.replace(/\r/g, "").trimEnd().split("\n").slice(-TAIL_LINES).join("\n");
  return lines.length > TAIL_CHARS ? `…${lines.slice(-TAIL_CHARS)}` : lines;
}

const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

export function createCommandGate(check: CommandCheck, deps: CommandGateDeps): Gate {
  const source: GateSource = {
    kind: "command",
    query: check.command.map(quote).join(" "),
    statistic: "exit code 0 passes, any other fails; a timeout is inconclusive",
  };
  return {
    name: check.name,
    evaluate: async (ctx) => ({ ...(await run(check, ctx, deps)), source }),
  };
}

async function run(check: CommandCheck, ctx: GateContext, deps: CommandGateDeps): Promise<GateResult> {
  const gate = check.name;
  const monotonic = deps.monotonic ?? (() => performance.now());
  const started = monotonic();
  const subprocess = execa(check.command[0], check.command.slice(1), {
    env: { ...deps.env, ...gateEnvironment(ctx) },
    extendEnv: false,
    cwd: deps.cwd,
    stdin: "ignore",
    all: true,
    buffer: false,
    reject: false,
    timeout: check.timeoutMs,
    forceKillAfterDelay: KILL_GRACE_MS,
    cancelSignal: ctx.signal,
    // Its own process group, so that what it started (a shell's children) is
    // stopped with it: otherwise a child holding the output pipe keeps the
    // gate waiting past its timeout.
    detached: true,
  });
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (subprocess.pid) process.kill(-subprocess.pid, signal);
    } catch {
      // already gone
    }
  };
  const stopGroup = () => {
    killGroup("SIGTERM");
    setTimeout(() => killGroup("SIGKILL"), KILL_GRACE_MS).unref();
  };
  const timer = setTimeout(stopGroup, check.timeoutMs);
  ctx.signal?.addEventListener("abort", stopGroup, { once: true });
  let kept = "";
  subprocess.all?.on("data", (chunk: Buffer) => {
    kept = (kept + chunk.toString("utf8")).slice(-KEEP_BYTES);
  });
  const outcome = await subprocess;
  clearTimeout(timer);
  // What the command left running in its group goes with it.
  killGroup("SIGKILL");
  ctx.signal?.removeEventListener("abort", stopGroup);
  if (ctx.signal?.aborted) throw ctx.signal.reason;
  const tail = maskEnvironmentSecrets(deps.redact(tailOf(kept)), deps.env);
  const seconds = (monotonic() - started) / 1000;
  const values = { exitCode: outcome.exitCode ?? null, seconds: Number(seconds.toFixed(3)) };
  const output = tail ? `:\n${tail}` : " (no output)";
  if (outcome.timedOut) {
    const why = `${gate}: no verdict within ${check.timeoutMs / 1000}s; stopped it${output}`;
    return { gate, result: "inconclusive", why, values };
  }
  if (outcome.failed && outcome.exitCode === undefined) {
    // Could not start (ENOENT, EACCES) or was killed by a signal.
    const what = outcome.signal
      ? `was killed by ${outcome.signal}`
      : `could not run: ${firstLine(outcome.message ?? "")}`;
    return { gate, result: "failed", reason: deps.redact(`${gate}: ${what}${output}`), values };
  }
  if (outcome.exitCode !== 0) {
    return { gate, result: "failed", reason: `${gate}: exited ${outcome.exitCode}${output}`, values };
  }
  return { gate, result: "passed", summary: `${gate}: exited 0 in ${seconds.toFixed(1)}s`, values };
}

const firstLine = (text: string) => text.split("\n")[0];

/**
 * The command inherits grayctl's environment, CI tokens included; a script
 * that prints one must not put it in a reason, an event or the state. Values
 * of variables named like secrets are masked too (as semantic-release does).
 */
export function maskEnvironmentSecrets(text: string, env: Record<string, string | undefined>): string {
  const secrets = Object.entries(env)
    .filter(([name, value]) => /token|secret|passw|key|credential|auth/i.test(name) && value && value.length >= 6)
    .map(([, value]) => value as string)
    .sort((a, b) => b.length - a.length);
  return secrets.reduce((out, secret) => out.split(secret).join("***"), text);
}
