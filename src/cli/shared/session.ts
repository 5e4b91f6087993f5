// Builds the rollout context for commands that act on a cluster: connection,
// state store, router, gates and the Lease. Imported lazily by those commands.
import type { Gate } from "../../analysis/types.ts";
import type { Config } from "../../config/schema.ts";
import { connect } from "../../kube/client.ts";
import { Cluster } from "../../kube/cluster.ts";
import { warnOnce } from "../../kube/retry.ts";
import { Lease } from "../../kube/lease.ts";
import { StateStore } from "../../kube/state-store.ts";
import { createRouter } from "../../routers/index.ts";
import { systemClock } from "../../rollout/clock.ts";
import type { RolloutContext } from "../../rollout/context.ts";
import { Interrupted } from "../../rollout/engine.ts";
import { HealthGate } from "../../rollout/health-gate.ts";
import { durationsOf } from "../../rollout/plan.ts";
import type { CommandContext } from "../context.ts";
import { actorFrom, ownerId } from "./actor.ts";
import { metricGates } from "./metric-gates.ts";

export interface Session {
  rollout: RolloutContext;
  lease: Lease;
  abort: AbortController;
}

export async function openSession(cmd: CommandContext, config: Config): Promise<Session> {
  const clients = connect({
    kubeconfig: cmd.globals.kubeconfig,
    context: cmd.globals.context,
    env: cmd.env,
    redact: (s) => cmd.reporter.redact(s),
  });
  const clock = systemClock;
  const abort = new AbortController();
  // The user's SIGINT/SIGTERM becomes an Interrupted reason the engine acts on at a safe point.
  const onSignal = () => abort.abort(new Interrupted(String((cmd.signal.reason as Error)?.message ?? "interrupted")));
  if (cmd.signal.aborted) onSignal();
  else cmd.signal.addEventListener("abort", onSignal, { once: true });
  const cluster = new Cluster(clients, config.namespace, clock, abort.signal);
  cluster.onRetry = warnOnce(clients.server, (message) => cmd.reporter.warn(message));
  const actor = actorFrom(cmd.env);
  const owner = ownerId(actor, process.pid);
  const durations = durationsOf(config);
  const gates: Gate[] = [
    new HealthGate(cluster, {
      path: config.analysis.healthz.path,
      port: config.deployment.port,
      timeoutMs: durations.healthzTimeoutMs,
      concurrency: config.analysis.healthz.concurrency,
    }),
    ...(await metricGates(config, cluster, clock)),
  ];
  const rollout: RolloutContext = {
    config,
    cluster,
    store: new StateStore(cluster, config.app),
    router: createRouter(config, cluster, (message) => cmd.reporter.warn(message)),
    gates,
    reporter: cmd.reporter,
    clock,
    actor,
    owner,
    signal: abort.signal,
  };
  return { rollout, lease: new Lease(cluster, config.app, owner, durations.leaseMs, clock), abort };
}
