// Everything the rollout procedures act through, injected (tests build it
// against the sandbox; the CLI builds it from flags and the kubeconfig).
import type { Gate } from "../analysis/types.ts";
import type { Config } from "../config/schema.ts";
import type { Cluster } from "../kube/cluster.ts";
import type { StateStore } from "../kube/state-store.ts";
import type { Reporter } from "../output/types.ts";
import type { TrafficRouter } from "../routers/types.ts";
import type { Clock } from "../kube/clock.ts";
import type { Lifecycle } from "../hooks/types.ts";

export interface RolloutContext {
  config: Config;
  cluster: Cluster;
  store: StateStore;
  router: TrafficRouter;
  gates: Gate[];
  reporter: Reporter;
  clock: Clock;
  /** Who acts (CI user or OS user), for history and events. */
  actor: string;
  /** This process's identity: the Lease holder and the state's owner. */
  owner: string;
  /** Aborted on SIGINT/SIGTERM, or when another process takes the rollout over. */
  signal: AbortSignal;
  /** Runs `work` to its end even if a second SIGINT/SIGTERM arrives meanwhile (the route to stable). */
  uninterruptible<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Takes the Lease back after it lapsed by this process's own deadline during
   * an API outage, if nobody took it meanwhile (Lease.regain); absent, such a
   * lapse ends the rollout for this process.
   */
  regainLease?(): Promise<void>;
  /** The configuration's secrets: never written to the record (the recorded plan masks them, model/plan.ts). */
  secrets?: readonly string[];
  /** hooks and notify (src/hooks); absent in `grayctl plan`, which runs neither. */
  lifecycle?: Lifecycle;
  /**
   * Told the moment the API stops answering mid-rollout (outage.ts), while the engine goes on trying to
   * route to stable: a release in waves stops its other targets then, not at this one's progress deadline.
   */
  onOutage?(what: string): void;
}

export interface Outcome {
  outcome:
    | "deployed"
    | "promoted"
    | "rolled-back"
    | "paused"
    | "interrupted"
    | "unchanged"
    | "superseded"
    | "lease-lost"
    | "unreachable"
    | "nothing-to-do"
    | "pre-rollout-failed";
  exitCode: number;
  message: string;
  fields: Record<string, unknown>;
  /** Nothing changed (unchanged, still paused, stopped before the claim): no transition to notify. */
  quiet?: boolean;
}

/** What a rollout command asks of the engine. */
export interface RolloutRequest {
  image: string;
  commit?: string;
  supersede?: boolean;
  /** Continue a paused rollout (grayctl promote / resume): skip the paused step. */
  continueFromPause?: boolean;
  /** `grayctl promote --full`: skip the remaining steps, straight to promotion. */
  skipSteps?: boolean;
}
