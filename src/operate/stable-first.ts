// `rollback --force` and `abort` take the rollout over whatever the Lease and
// the record say, so their route to 100 % stable need not wait for either: it
// is sent as soon as the router's own read answers, beside the state read —
// the second API round trip from start (issue 13). Weight 0 is the safe
// direction in every phase (with nothing in flight the canary is at 0 already
// and nothing is written), so this one write goes out before the Lease is
// taken, outside the fence of docs/decisions/007; after the takeover, undo()
// sets weight 0 again through the fence, which re-asserts it. Only onto a
// stable with a ready pod (one read first): otherwise the fenced path brings
// stable up before any traffic moves (decision 019).
import { Cluster } from "../kube/cluster.ts";
import { names } from "../kube/names.ts";
import type { RolloutContext } from "../rollout/context.ts";
import { createRouter } from "../routers/index.ts";

/** True once the router sends 100 % to stable; false when it could not say so (the fenced path then tries). */
export async function stableFirst(ctx: RolloutContext): Promise<boolean> {
  const { cluster } = ctx;
  const unfenced = new Cluster(cluster.clients, cluster.namespace, cluster.clock, cluster.signal, cluster.callBudgetMs);
  unfenced.onRetry = cluster.onRetry;
  unfenced.duringWrites = cluster.duringWrites;
  const router = createRouter(ctx.config, unfenced, (message) => ctx.reporter.warn(message));
  // Read beside the router's own read, so the write still goes out in the second round trip.
  const stable = unfenced.getDeployment(names(ctx.config.app).stable);
  stable.catch(() => {});
  unfenced.beforeWrites = async () => {
    if (((await stable)?.status?.readyReplicas ?? 0) === 0) throw new Error("stable has no ready pod");
  };
  try {
    await router.setCanaryWeight(0);
    return true;
  } catch (error) {
    // No canary route yet (a first deploy in flight), or one grayctl cannot split: the usual path says so.
    ctx.reporter.debug(`traffic to stable first: ${(error as Error).message}; continuing through the Lease`);
    return false;
  }
}
