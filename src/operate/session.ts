// A light cluster session for the operate commands (rollback, abort, status,
// history): connection, state store, router and Lease, but no gates. Rollback
// is the incident command, so it loads only what it needs before its first write;
// rollout, promote and resume add their gates (cli/shared/session.ts).
import type { HttpLibrary } from "@kubernetes/client-node";
import type { Config } from "../config/schema.ts";
import { connect } from "../kube/client.ts";
import { type Clock, systemClock } from "../kube/clock.ts";
import { Cluster } from "../kube/cluster.ts";
import { Fence, leaseTiming } from "../kube/fence.ts";
import { Lease } from "../kube/lease.ts";
import type { LocalProcesses } from "../kube/lease-record.ts";
import { warnOnce } from "../kube/retry.ts";
import { StateStore } from "../kube/state-store.ts";
import type { Reporter } from "../output/types.ts";
import { createRouter } from "../routers/index.ts";
import type { RolloutContext } from "../rollout/context.ts";
import { durationsOf } from "../rollout/plan.ts";

export interface OperateOptions {
  kubeconfig?: string;
  /** Tests only: where the in-cluster ServiceAccount is mounted (cli/shared/test-hooks.ts). */
  serviceAccountDir?: string;
  context?: string;
  env: Record<string, string | undefined>;
  reporter: Reporter & { redact(secret: string): void };
  actor: string;
  owner: string;
  /** The CI job this process runs in (a URL), recorded on the Lease for whoever takes the rollout over. */
  job?: string;
  /** Sent with every API request (client.ts). */
  userAgent?: string;
  /** One API request's deadline, and one call's retry budget (defaults in client.ts and cluster.ts). */
  requestTimeoutMs?: number;
  callBudgetMs?: number;
  /** This machine and process, so a Lease held by a process here that is gone can be taken at once. */
  processes: LocalProcesses;
  /** The guard's grace: a held Lease counts as lapsed only after its duration plus this, watched from here. */
  leaseGraceMs?: number;
  /** The Lease's name when the session holds another lock than the app's rollout (a release across targets). */
  leaseName?: string;
  clock?: Clock;
  /** The user's cancellation (SIGINT/SIGTERM). */
  signal: AbortSignal;
  /** What the session's signal aborts with when the user cancels (default: the user's reason). */
  interrupt?: (reason: unknown) => unknown;
  /**
   * The user's cancellation also stops requests (the engine: its next request
   * after a SIGINT is the route to stable, through a fresh Cluster). Without it
   * only waits stop: a cancelled `rollback` still finishes its writes.
   */
  cancelRequests?: boolean;
  /** Runs `work` to its end even when a second signal arrives meanwhile (the launcher exits after it). */
  uninterruptible?: <T>(work: () => Promise<T>) => Promise<T>;
  /** `grayctl plan`: a transport that sends reads only (kube/dry-run-http.ts). */
  wrapHttp?: (http: HttpLibrary) => HttpLibrary;
}

export interface OperateSession {
  ctx: RolloutContext;
  lease: Lease;
  /** Aborts ctx.signal: on the user's signal, or when the Lease is lost. */
  abort: AbortController;
}

export function openOperateSession(config: Config, options: OperateOptions): OperateSession {
  const clients = connect({
    kubeconfig: options.kubeconfig,
    serviceAccountDir: options.serviceAccountDir,
    context: options.context,
    env: options.env,
    redact: (s) => options.reporter.redact(s),
    warn: (message) => options.reporter.warn(message),
    now: () => new Date((options.clock ?? systemClock).now()),
    userAgent: options.userAgent,
    requestTimeoutMs: options.requestTimeoutMs,
    wrapHttp: options.wrapHttp,
  });
  const clock = options.clock ?? systemClock;
  const leaseMs = durationsOf(config).leaseMs;
  const abort = new AbortController();
  const onSignal = () =>
    abort.abort(options.interrupt ? options.interrupt(options.signal.reason) : options.signal.reason);
  if (options.signal.aborted) onSignal();
  else options.signal.addEventListener("abort", onSignal, { once: true });
  const cluster = new Cluster(
    clients,
    config.namespace,
    clock,
    options.cancelRequests ? abort.signal : undefined,
    options.callBudgetMs,
  );
  // Writes are refused until this process holds the Lease, and once it stops owning the rollout.
  cluster.fence = new Fence(clock, leaseTiming(leaseMs).renewDeadlineMs);
  cluster.onRetry = warnOnce(clients.server, (message) => options.reporter.warn(message));
  const ctx: RolloutContext = {
    config,
    cluster,
    store: new StateStore(cluster, config.app),
    router: createRouter(config, cluster, (message) => options.reporter.warn(message)),
    gates: [],
    reporter: options.reporter,
    clock,
    actor: options.actor,
    owner: options.owner,
    signal: abort.signal,
    uninterruptible: options.uninterruptible ?? ((work) => work()),
  };
  // The Lease is renewed until the process ends, a cancelled rollout's rollback included.
  const lease = new Lease(
    cluster.withSignal(undefined),
    config.app,
    {
      holder: options.owner,
      processes: options.processes,
      job: options.job,
      graceMs: options.leaseGraceMs,
      name: options.leaseName,
    },
    leaseMs,
    cluster.fence,
  );
  ctx.regainLease = () => lease.regain();
  return { ctx, lease, abort };
}
