// The command gate: a local command run at each step's end (a smoke test, a
// load test, a script that asks any system), with the step in its
// environment. Exit 0 passes, any other exit fails, a timeout is inconclusive
// (the engine waits another window, then fails safe, as for missing data).
// Arguments go to the program as an array: no shell unless the user names one.
import { Redactor } from "../output/redact.ts";
import { runCommand } from "../run/command.ts";
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

/** How long a command has between SIGTERM and SIGKILL once its time is up: a load test may need to flush its report. */
const KILL_GRACE_MS = 5_000;

const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

export function createCommandGate(check: CommandCheck, deps: CommandGateDeps): Gate {
  const source: GateSource = {
    kind: "command",
    // The arguments may carry a token from the environment (--token=${SMOKE_TOKEN}): the
    // query goes to the state, the history and the reports, so it is masked here.
    query: deps.redact(check.command.map(quote).join(" ")),
    statistic: "exit code 0 passes, any other fails; a timeout is inconclusive",
  };
  return {
    name: check.name,
    evaluate: async (ctx) => ({ ...(await run(check, ctx, deps)), source }),
  };
}

async function run(check: CommandCheck, ctx: GateContext, deps: CommandGateDeps): Promise<GateResult> {
  const gate = check.name;
  const done = await runCommand({
    argv: check.command,
    cwd: deps.cwd,
    env: { ...deps.env, ...gateEnvironment(ctx) },
    timeoutMs: check.timeoutMs,
    signal: ctx.signal,
    killGraceMs: KILL_GRACE_MS,
    monotonic: deps.monotonic,
    redact: (text) => maskEnvironmentSecrets(deps.redact(text), deps.env),
  });
  if (done.result === "cancelled") throw ctx.signal?.reason ?? new Error(done.why);
  const tail = done.tail;
  const values = {
    exitCode: done.result === "passed" || done.result === "failed" ? (done.exitCode ?? null) : null,
    seconds: done.seconds,
  };
  const output = tail ? `:\n${tail}` : " (no output)";
  if (done.result === "timeout") {
    const why = `${gate}: no verdict within ${check.timeoutMs / 1000}s; stopped it${output}`;
    return { gate, result: "inconclusive", why, values };
  }
  if (done.result === "failed") {
    const what =
      done.exitCode !== undefined
        ? `exited ${done.exitCode}`
        : done.signal
          ? `was killed by ${done.signal}`
          : `could not run: ${done.why}`;
    return { gate, result: "failed", reason: deps.redact(`${gate}: ${what}${output}`), values };
  }
  return { gate, result: "passed", summary: `${gate}: exited 0 in ${done.seconds.toFixed(1)}s`, values };
}

/**
 * The command inherits grayctl's environment, CI tokens included; a script
 * that prints one must not put it in a reason, an event or the state. Values
 * of variables named like secrets are masked too (as semantic-release does).
 */
export function maskEnvironmentSecrets(text: string, env: Record<string, string | undefined>): string {
  const redactor = new Redactor();
  // With their encodings (base64, URL-encoded…): a script may print `echo $TOKEN | base64`.
  for (const [name, value] of Object.entries(env))
    if (/token|secret|passw|key|credential|auth/i.test(name) && value && value.length >= 6) redactor.add(value);
  return redactor.text(text);
}
