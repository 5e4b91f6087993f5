// Reads and writes the rollout state ConfigMap with optimistic concurrency.
// Every write carries the resourceVersion it read; a 409 re-reads and re-applies.
// The record is validated on every read (state-codec.ts): one that cannot be
// read is never written over.
import { names } from "./names.ts";
import type { Release, RolloutState, StoredState } from "../model/state.ts";
import type { Cluster } from "./cluster.ts";
import { isAlreadyExists, isConflict } from "./errors.ts";
import { SupersededError } from "./fence.ts";
import { decodeState, encodeState } from "./state-codec.ts";

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
    return this.remember(this.decode(map));
  }

  private get where() {
    return { name: this.name, namespace: this.cluster.namespace };
  }

  private decode(map: Parameters<typeof decodeState>[0]): StoredState {
    return decodeState(map, this.where);
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
      const next = change(this.decode(map));
      const body = encodeState(this.app, this.where, next, map);
      try {
        const written = map ? await this.cluster.replaceConfigMap(body) : await this.cluster.createConfigMap(body);
        return this.remember(this.decode(written));
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
