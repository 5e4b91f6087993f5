// What a person sees while pods come up: a progress line with the pods ready
// so far (started only once there is something to wait for, so a step whose
// pods are already up prints nothing extra), and, at once, any pod the
// scheduler cannot place or whose container cannot start, with the pod's own
// message. Fatal problems (crash loops, pull errors) end the wait elsewhere;
// this only says what it sees, once per pod and message.
import type { Progress } from "../output/types.ts";
import type { RolloutContext } from "./context.ts";
import type { TrackSummary } from "../model/pods.ts";

export class PodWatch {
  private readonly ctx: RolloutContext;
  private readonly title: string;
  private progress: Progress | undefined;
  private last = "";
  private readonly told = new Set<string>();

  /** Set when the line belongs to the caller (a step's): updated here, ended by the caller unless the wait fails. */
  private readonly shared: boolean;

  constructor(ctx: RolloutContext, title: string, line?: Progress) {
    this.ctx = ctx;
    this.title = title;
    this.progress = line;
    this.shared = line !== undefined;
  }

  /** One look at the pods: `status` is what the wait is at ("1/3 canary pods ready"). */
  saw(track: TrackSummary, status: string): void {
    for (const pod of track.pods) {
      if (pod.terminating) continue;
      const trouble = pod.unschedulable
        ? `pod ${pod.name} cannot be scheduled (FailedScheduling): ${pod.unschedulable}`
        : pod.problem
          ? `pod ${pod.name} is ${pod.problem}${pod.problemMessage ? `: ${pod.problemMessage}` : ""}`
          : undefined;
      if (trouble && !this.told.has(trouble)) {
        this.told.add(trouble);
        this.ctx.reporter.warn(trouble, { pod: pod.name });
      }
    }
    const text = `${this.title} · ${status}`;
    this.last = text;
    if (this.progress) this.progress.update(text);
    else this.progress = this.ctx.reporter.start("pods", text);
  }

  done(text: string): void {
    if (!this.shared) this.progress?.succeed(text);
    this.progress = undefined;
  }

  /** Ends the line where the wait stopped; the reason follows in the rollback's own line. */
  failed(): void {
    this.progress?.fail(this.last || this.title);
    this.progress = undefined;
  }
}
