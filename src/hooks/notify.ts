// Webhook notifications on transitions. Sending never blocks the rollout and
// never fails it: each notification is queued per webhook (so a receiver sees
// them in order), retried on network errors, 5xx and 429 with backoff, and
// dropped with a warning at its deadline. The command waits for the queues
// (settle) before it returns, so the process does not exit with one pending.
import { parseDuration } from "../config/duration.ts";
import type { NotifyConfig } from "../config/schema-hooks.ts";
import type { Clock } from "../kube/clock.ts";
import { webCall } from "../run/web.ts";
import type { RunInfo, Transition } from "./types.ts";

export interface NotifierDeps {
  clock: Clock;
  /** Every payload passes the reporter's redaction before it leaves the process. */
  redact<T>(value: T): T;
  warn(message: string): void;
  actor: string;
  /** Whose HTTPS_PROXY/HTTP_PROXY/NO_PROXY apply to the deliveries. */
  env?: Record<string, string | undefined>;
}

const FIRST_BACKOFF_MS = 250;

export class Notifier {
  private readonly targets: readonly NotifyConfig[];
  private readonly deps: NotifierDeps;
  private readonly queues: Promise<void>[];

  constructor(targets: readonly NotifyConfig[], deps: NotifierDeps) {
    this.targets = targets;
    this.deps = deps;
    this.queues = targets.map(() => Promise.resolve());
  }

  /** Queues the transition for every webhook that wants it; returns at once. */
  send(kind: Transition, run: RunInfo): void {
    const time = new Date(this.deps.clock.now()).toISOString();
    this.targets.forEach((target, index) => {
      if (!(target.events as readonly Transition[]).includes(kind)) return;
      const deadline = this.deps.clock.now() + (parseDuration(target.timeout) ?? 10_000);
      const body = JSON.stringify(this.deps.redact(payload(target.format, kind, run, this.deps.actor, time)));
      this.queues[index] = this.queues[index].then(() => this.deliver(target, index, kind, body, deadline));
    });
  }

  /** Resolves once every queued notification was delivered or gave up at its deadline. */
  async settle(): Promise<void> {
    await Promise.all(this.queues);
  }

  private async deliver(target: NotifyConfig, index: number, kind: Transition, body: string, deadline: number) {
    const label = `notify${target.name ? ` "${target.name}"` : `[${index}]`} (${kind})`;
    let why = "its deadline passed before it could be sent";
    for (let attempt = 0; attempt <= target.retries; attempt++) {
      const left = deadline - this.deps.clock.now();
      if (left <= 0) break;
      const answer = await webCall({
        url: target.url,
        method: "POST",
        headers: { "content-type": "application/json", ...target.headers },
        body,
        timeoutMs: left,
        env: this.deps.env,
      });
      if (answer.ok && answer.status >= 200 && answer.status < 300) return;
      why = answer.ok ? `HTTP ${answer.status}` : answer.why;
      // A 4xx other than 429 will not change on a retry (a wrong URL, a revoked token).
      if (answer.ok && answer.status < 500 && answer.status !== 429) break;
      const pause = Math.min(FIRST_BACKOFF_MS * 2 ** attempt, deadline - this.deps.clock.now());
      if (attempt < target.retries && pause > 0) await this.deps.clock.sleep(pause);
    }
    this.deps.warn(`${label} not delivered: ${why}; the rollout is not affected`);
  }
}

const EMOJI: Record<Transition, string> = {
  started: ":rocket:",
  paused: ":double_vertical_bar:",
  promoted: ":white_check_mark:",
  "rolled-back": ":leftwards_arrow_with_hook:",
  failed: ":x:",
  "orphan-rolled-back": ":leftwards_arrow_with_hook:",
  "orphan-resumed": ":arrow_forward:",
  "orphan-held": ":warning:",
};

export function payload(format: "json" | "slack", kind: Transition, run: RunInfo, actor: string, time: string) {
  if (format === "slack") {
    const revision = run.revision === undefined ? "" : ` (revision ${run.revision})`;
    const reason = run.reason ? `: ${run.reason}` : "";
    return {
      text: `${EMOJI[kind]} *${run.app}* in ${run.namespace}: ${kind} \`${run.image}\`${revision}${reason} — by ${actor}`,
    };
  }
  return {
    source: "grayctl",
    event: kind,
    app: run.app,
    namespace: run.namespace,
    image: run.image,
    revision: run.revision,
    outcome: run.outcome,
    reason: run.reason,
    message: run.message,
    actor,
    time,
  };
}
