// Reads and writes the rollout state ConfigMap with optimistic concurrency.
// Every write carries the resourceVersion it read; a 409 re-reads and re-applies.
import type { V1ConfigMap } from "@kubernetes/client-node";
import { MANAGED_BY, names } from "./names.ts";
import { type Release, type RolloutState, type StoredState, trimTemplates } from "../rollout/state.ts";
import type { Cluster } from "./cluster.ts";
import { isAlreadyExists, isConflict } from "./errors.ts";
import { SupersededError } from "./fence.ts";

/** Older releases are dropped so the ConfigMap stays far below its 1 MiB limit. */
const HISTORY_LIMIT = 50;

export class StateStore {
  private readonly cluster: Cluster;
  private readonly name: string;
  private readonly app: string;

  constructor(cluster: Cluster, app: string) {
    this.cluster = cluster;
    this.app = app;
    this.name = names(app).state;
  }

  /** The record as this process last read or wrote it: what it knows when the API stops answering. */
  last?: StoredState;

  async read(): Promise<StoredState> {
    const map = await this.cluster.getConfigMap(this.name);
    return this.remember(decode(map));
  }

  private remember(stored: StoredState): StoredState {
    this.last = stored;
    return stored;
  }

  /**
   * Applies `change` to the latest stored state and writes it; on conflict it
   * re-reads and re-applies. `change` may throw (e.g. SupersededError) to abort.
   */
  async mutate(change: (stored: StoredState) => { state?: RolloutState; history: Release[] }): Promise<StoredState> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const map = await this.cluster.getConfigMap(this.name);
      const next = change(decode(map));
      const body = encode(this.app, this.name, this.cluster.namespace, next, map);
      try {
        const written = map ? await this.cluster.replaceConfigMap(body) : await this.cluster.createConfigMap(body);
        return this.remember(decode(written));
      } catch (error) {
        if (!isConflict(error) && !isAlreadyExists(error)) throw error;
      }
    }
    throw new Error(`ConfigMap ${this.name} kept changing under us; gave up after 10 attempts`);
  }

  /**
   * Like mutate, but only while `owner` still owns the rollout: the owner is
   * checked on the record each attempt reads, and the write is conditional on
   * that record's version. Otherwise throws SupersededError without writing.
   */
  mutateOwned(
    owner: string,
    change: (stored: StoredState & { state: RolloutState }) => { state?: RolloutState; history: Release[] },
  ): Promise<StoredState> {
    return this.mutate((stored) => {
      if (!stored.state || stored.state.owner !== owner) {
        const error = new SupersededError(supersededBy(stored.state));
        this.cluster.fence?.lose(error);
        throw error;
      }
      return change({ ...stored, state: stored.state });
    });
  }

  /** Updates the state only while `owner` still owns it; otherwise throws SupersededError without writing. */
  updateOwned(owner: string, change: (state: RolloutState) => RolloutState): Promise<StoredState> {
    return this.mutateOwned(owner, (stored) => ({
      state: { ...change(stored.state), updatedAt: new Date().toISOString() },
      history: stored.history,
    }));
  }

  /**
   * A check for the fence: throws SupersededError once another process has
   * claimed the rollout. It reads even while a cancelled rollout rolls back.
   */
  ownedBy(owner: string): () => Promise<void> {
    const uncancelled = new StateStore(this.cluster.withSignal(undefined), this.app);
    return async () => {
      const { state } = await uncancelled.read();
      if (!state || state.owner !== owner) throw new SupersededError(supersededBy(state));
    };
  }
}

/** "rollback (oncall-alice)" or "another rollout (ci-bot)": who took the rollout, for messages. */
export function supersededBy(state: RolloutState | undefined): string {
  if (!state) return "nobody (the rollout record is gone)";
  const what = state.phase === "rolling-back" || state.phase === "rolled-back" ? "rollback" : "another rollout";
  return `${what} (${state.actor})`;
}

function decode(map: V1ConfigMap | undefined): StoredState {
  if (!map) return { history: [] };
  const state = map.data?.state ? (JSON.parse(map.data.state) as RolloutState) : undefined;
  const history = map.data?.history ? (JSON.parse(map.data.history) as Release[]) : [];
  return { state, history, resourceVersion: map.metadata?.resourceVersion };
}

function encode(
  app: string,
  name: string,
  namespace: string,
  next: { state?: RolloutState; history: Release[] },
  current: V1ConfigMap | undefined,
): V1ConfigMap {
  const data: Record<string, string> = { history: JSON.stringify(trimTemplates(next.history.slice(-HISTORY_LIMIT))) };
  if (next.state) data.state = JSON.stringify(next.state);
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name,
      namespace,
      labels: { app, ...MANAGED_BY },
      // Carrying the version read makes the write conditional: 409 if anyone wrote since.
      resourceVersion: current?.metadata?.resourceVersion,
    },
    data,
  };
}
