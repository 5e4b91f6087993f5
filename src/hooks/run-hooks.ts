// Runs one phase's hooks in order: commands (argv, no shell) with the run in
// their environment, web calls with it in their body. Every hook has a deadline.
import { maskEnvironmentSecrets } from "../analysis/command-gate.ts";
import { parseDuration } from "../config/duration.ts";
import type { HookConfig } from "../config/schema-hooks.ts";
import { runCommand } from "../run/command.ts";
import { webCall } from "../run/web.ts";
import type { HookReport, RunInfo } from "./types.ts";

export interface HookDeps {
  cwd: string;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
  /** The reporter's masking, applied to what a hook printed or answered before it is cut. */
  redact?: (text: string) => string;
}

/** The run as {{…}} template values (web hooks) and, upper-cased, as GRAYCTL_* variables (commands). */
function runValues(run: RunInfo): Record<string, string> {
  return {
    app: run.app,
    namespace: run.namespace,
    image: run.image,
    revision: run.revision === undefined ? "" : String(run.revision),
    outcome: run.outcome ?? "",
    reason: run.reason ?? "",
  };
}

/** What a hook command finds in its environment. */
export function hookVariables(phase: string, run: RunInfo): Record<string, string> {
  const variables: Record<string, string> = { GRAYCTL_HOOK: phase };
  for (const [name, value] of Object.entries(runValues(run))) {
    // Not GRAYCTL_REASON: that one is `grayctl rollback`'s input, and a hook may call it.
    variables[name === "reason" ? "GRAYCTL_OUTCOME_REASON" : `GRAYCTL_${name.toUpperCase()}`] = value;
  }
  return variables;
}

export function renderTemplate(text: string, run: RunInfo): string {
  const values = runValues(run);
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (match, name: string) => values[name] ?? match);
}

export async function runHook(phase: string, hook: HookConfig, run: RunInfo, deps: HookDeps): Promise<HookReport> {
  const mask = deps.redact ?? ((text: string) => text);
  const timeoutMs = parseDuration(hook.timeout) ?? 60_000;
  if (hook.command) {
    const done = await runCommand({
      argv: hook.command,
      cwd: deps.cwd,
      env: { ...deps.env, ...hookVariables(phase, run) },
      timeoutMs,
      signal: deps.signal,
      // The command inherits CI tokens; one it printed must not reach a reason, a notification or the log.
      redact: (text) => maskEnvironmentSecrets(mask(text), deps.env),
    });
    if (done.result === "passed") return { hook: hook.name, phase, ok: true };
    const tail = done.tail ? `; output: ${done.tail}` : "";
    return { hook: hook.name, phase, ok: false, detail: `${done.why}${tail}` };
  }
  const answer = await webCall({
    url: renderTemplate(hook.url ?? "", run),
    method: hook.method,
    headers: { "content-type": "application/json", ...hook.headers },
    body: hook.method === "GET" ? undefined : renderTemplate(hook.body ?? JSON.stringify(run), run),
    timeoutMs,
    signal: deps.signal,
    env: deps.env,
  });
  if (!answer.ok) return { hook: hook.name, phase, ok: false, detail: mask(answer.why) };
  if (answer.status >= 200 && answer.status < 300) return { hook: hook.name, phase, ok: true };
  // Masked, then cut: cut first, the start of a secret the answer ends inside would survive.
  return { hook: hook.name, phase, ok: false, detail: `HTTP ${answer.status}: ${mask(answer.body).slice(0, 500)}` };
}

/** Runs the hooks in order; with `stopAtFailure` (preRollout) the first failure ends the phase. */
export async function runHooks(
  phase: string,
  hooks: readonly HookConfig[],
  run: RunInfo,
  deps: HookDeps,
  stopAtFailure: boolean,
): Promise<HookReport[]> {
  const reports: HookReport[] = [];
  for (const hook of hooks) {
    const report = await runHook(phase, hook, run, deps);
    reports.push(report);
    if (!report.ok && stopAtFailure) break;
  }
  return reports;
}
