// What the engine tells hooks and notifications: which run, and what happened.

export type Transition =
  | "started"
  | "paused"
  | "promoted"
  | "rolled-back"
  | "failed"
  // Sent by `grayctl guard` to its own targets (decision 041), never configured in grayctl.yaml.
  | "orphan-rolled-back"
  | "orphan-resumed"
  | "orphan-held";

export interface RunInfo {
  app: string;
  namespace: string;
  image: string;
  revision?: number;
  /** The rollout's outcome (promoted, rolled-back…) once there is one. */
  outcome?: string;
  reason?: string;
  message?: string;
}

export interface HookReport {
  hook: string;
  phase: string;
  ok: boolean;
  /** Why it failed, with the command's output tail (redacted by the reporter). */
  detail?: string;
}

/** The engine's view of hooks and notifications (src/hooks/lifecycle.ts). */
export interface Lifecycle {
  /** Runs hooks.preRollout before a new rollout writes anything for the app; a reason stops it. */
  beforeStart(run: RunInfo): Promise<string | undefined>;
  /** Notifies a transition and, after a promotion or a rollback, runs its hooks; their failures are reported, not thrown. */
  transition(kind: Transition, run: RunInfo): Promise<HookReport[]>;
  /** Waits for pending notifications, each up to its own deadline: the process must not exit before. */
  settle(): Promise<void>;
}
