// The namespace-scoped Kubernetes operations grayctl performs, each retried on
// transient failures within a deadline, each safe to repeat: creates tolerate
// AlreadyExists, updates re-read and retry on 409 Conflict. Every write for a
// rollout passes the fence (fence.ts) before each attempt, retries included,
// and every update carries the resourceVersion it read, so a writer that lost
// the rollout loses the race instead of undoing the new owner's write.
import {
  type ConfigurationOptions,
  type CoreV1Event,
  Observable,
  type ObservableMiddleware,
  PatchStrategy,
  setHeaderOptions,
  type V1ConfigMap,
  type V1Deployment,
  type V1Lease,
  V1MicroTime,
  type V1Pod,
  type V1Secret,
  type V1Service,
} from "@kubernetes/client-node";
import { GrayctlError } from "../errors.ts";
import type { KubeClients } from "./client.ts";
import type { Clock } from "./clock.ts";
import { describeApiError, isAlreadyExists, isConflict, isNotFound, isStatusBody } from "./errors.ts";
import { type Fence, isOwnershipLost } from "./fence.ts";
import { withRetry } from "./retry.ts";

const MERGE = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const CONFLICT_ATTEMPTS = 8;
/**
 * A pod proxy answer is the app's, and many apps (busybox httpd serving a
 * /healthz file, say) send no Content-Type; the generated client then throws
 * "Cannot parse content" for a perfectly good 200. Read such bodies as text.
 */
const TEXT_UNLESS_TYPED: ConfigurationOptions<ObservableMiddleware> = {
  middleware: [
    {
      pre: (request) => new Observable(Promise.resolve(request)),
      post: (response) => {
        response.headers["content-type"] ??= "text/plain";
        return new Observable(Promise.resolve(response));
      },
    },
  ],
  middlewareMergeStrategy: "append",
};

/**
 * Lease times are metav1.MicroTime: kube-apiserver refuses them with fewer
 * than six fractional digits, and client-node serialises a plain Date (which
 * is what it deserialises a read Lease into) with milliseconds. Found on the
 * real control plane: releasing a read Lease was refused with 400.
 */
function withMicroTimes(lease: V1Lease): V1Lease {
  const spec = lease.spec;
  if (!spec) return lease;
  const micro = (time: Date | undefined) => (time === undefined ? undefined : new V1MicroTime(time));
  return { ...lease, spec: { ...spec, acquireTime: micro(spec.acquireTime), renewTime: micro(spec.renewTime) } };
}

export class Cluster {
  readonly namespace: string;
  readonly clients: KubeClients;
  readonly clock: Clock;
  /**
   * Cancels requests: once aborted, no request is sent and retries stop (a
   * cancelled rollout's next request must be its route to stable, made
   * through a Cluster without this signal — see withSignal).
   */
  readonly signal?: AbortSignal;
  /** Per-call budget for retries of transient failures. */
  readonly callBudgetMs: number;

  constructor(clients: KubeClients, namespace: string, clock: Clock, signal?: AbortSignal, callBudgetMs = 20_000) {
    this.clients = clients;
    this.namespace = namespace;
    this.clock = clock;
    this.signal = signal;
    this.callBudgetMs = callBudgetMs;
  }

  /** The same connection, fence and retry listener, cancelled by another signal (or by none). */
  withSignal(signal: AbortSignal | undefined): Cluster {
    const sibling = new Cluster(this.clients, this.namespace, this.clock, signal, this.callBudgetMs);
    sibling.fence = this.fence;
    sibling.onRetry = this.onRetry;
    sibling.duringWrites = this.duringWrites;
    return sibling;
  }

  /** Told about retries of transient failures (the CLI warns once, so a silent wait never looks like a hang). */
  onRetry?: (message: string, attempt: number) => void;

  /** Set by a session: writes are refused unless this process owns the rollout. */
  fence?: Fence;

  /** A condition every write waits for, sent beside the reads before it (rollback's first route write). */
  beforeWrites?: () => Promise<void>;

  /** A read (or the Lease's own write), retried on transient failures until the deadline. */
  call<T>(what: string, operation: () => Promise<T>, options: { deadline?: number } = {}): Promise<T> {
    return withRetry(operation, {
      clock: this.clock,
      what,
      deadline: options.deadline ?? this.clock.now() + this.callBudgetMs,
      signal: this.signal,
      onRetry: this.onRetry,
    });
  }

  /**
   * Runs each write to its end, retries included, even when a signal that exits the process
   * arrives meanwhile (the launcher exits right after): set by rollback, whose first write is
   * the route to 100 % stable. Reads are not covered: a Ctrl-C while reading stops at once.
   */
  duringWrites?: <T>(work: () => Promise<T>) => Promise<T>;

  /** A write for the rollout: ownership is checked before every attempt, retries included. */
  write<T>(what: string, operation: () => Promise<T>): Promise<T> {
    const send = () =>
      this.call(what, async () => {
        await this.fence?.beforeWrite();
        await this.beforeWrites?.();
        return operation();
      });
    return this.duringWrites ? this.duringWrites(send) : send();
  }

  /** Reads, or undefined on 404. */
  async read<T>(what: string, operation: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.call(what, operation);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Creates, or returns the existing object when it is already there (a retried create). */
  async createOrGet<T>(what: string, create: () => Promise<T>, get: () => Promise<T>): Promise<T> {
    try {
      return await this.write(what, create);
    } catch (error) {
      if (isAlreadyExists(error)) return this.call(what, get);
      throw error;
    }
  }

  /**
   * Read-modify-write with optimistic concurrency: `put` sends `next` with the
   * resourceVersion that was read (a replace, or a patch carrying it), and a 409
   * re-reads and applies `change` again — after checking ownership again.
   * `change` returns undefined when nothing needs writing.
   */
  async update<T extends { metadata?: { resourceVersion?: string } }>(
    what: string,
    get: () => Promise<T>,
    change: (current: T) => T | undefined,
    put: (next: T) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.call(what, get);
      const next = change(structuredClone(current));
      if (next === undefined) return current;
      try {
        return await this.write(what, () => put(next));
      } catch (error) {
        if (!isConflict(error) || attempt >= CONFLICT_ATTEMPTS) throw error;
      }
    }
  }

  // --- Deployments ---
  getDeployment(name: string): Promise<V1Deployment | undefined> {
    return this.read(`read Deployment ${name}`, () =>
      this.clients.apps.readNamespacedDeployment({ name, namespace: this.namespace }),
    );
  }

  createDeployment(body: V1Deployment): Promise<V1Deployment> {
    const name = body.metadata?.name ?? "";
    return this.createOrGet(
      `create Deployment ${name}`,
      () => this.clients.apps.createNamespacedDeployment({ namespace: this.namespace, body }),
      () => this.clients.apps.readNamespacedDeployment({ name, namespace: this.namespace }),
    );
  }

  updateDeployment(name: string, change: (d: V1Deployment) => V1Deployment | undefined): Promise<V1Deployment> {
    return this.update(
      `update Deployment ${name}`,
      () => this.clients.apps.readNamespacedDeployment({ name, namespace: this.namespace }),
      change,
      (body) => this.clients.apps.replaceNamespacedDeployment({ name, namespace: this.namespace, body }),
    );
  }

  /** Scales through a merge patch of spec.replicas conditional on the version read; no write when it matches. */
  scaleDeployment(name: string, replicas: number): Promise<V1Deployment> {
    return this.update(
      `scale Deployment ${name} to ${replicas}`,
      () => this.clients.apps.readNamespacedDeployment({ name, namespace: this.namespace }),
      (current) => (current.spec?.replicas === replicas ? undefined : current),
      (current) =>
        this.clients.apps.patchNamespacedDeployment(
          {
            name,
            namespace: this.namespace,
            body: { metadata: { resourceVersion: current.metadata?.resourceVersion }, spec: { replicas } },
          },
          MERGE,
        ),
    );
  }

  async listPods(labelSelector: string): Promise<V1Pod[]> {
    const list = await this.call(`list pods ${labelSelector}`, () =>
      this.clients.core.listNamespacedPod({ namespace: this.namespace, labelSelector }),
    );
    return list.items;
  }

  /** GET through the API server's pod proxy; the status code is a value, not an exception. */
  async podProxyGet(
    pod: string,
    port: number,
    path: string,
    timeoutMs: number,
  ): Promise<{ status: number; body: string }> {
    const deadline = this.clock.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      if (this.signal?.aborted) throw this.signal.reason;
      const answer = await this.podProxyOnce(pod, port, path, Math.max(100, deadline - this.clock.now()));
      // Only the API server's own failures are retried: a pod that answers 500 has answered.
      if (!answer.apiFailure || this.clock.now() + 150 > deadline) return { status: answer.status, body: answer.body };
      await this.clock.sleep(Math.min(100 * 2 ** attempt, 500), this.signal);
    }
  }

  private async podProxyOnce(pod: string, port: number, path: string, timeoutMs: number) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const body = await Promise.race([
        this.clients.core.connectGetNamespacedPodProxyWithPath(
          { name: `${pod}:${port}`, namespace: this.namespace, path: path.replace(/^\//, "") },
          TEXT_UNLESS_TYPED,
        ),
        timeout,
      ]);
      return { status: 200, body: String(body), apiFailure: false };
    } catch (error) {
      const failure = describeApiError(error);
      const apiFailure = failure.transient && (failure.code === undefined || isStatusBody(error));
      return { status: failure.code ?? 0, body: failure.message, apiFailure };
    } finally {
      clearTimeout(timer);
    }
  }

  // --- Services ---
  getService(name: string): Promise<V1Service | undefined> {
    return this.read(`read Service ${name}`, () =>
      this.clients.core.readNamespacedService({ name, namespace: this.namespace }),
    );
  }

  createService(body: V1Service): Promise<V1Service> {
    const name = body.metadata?.name ?? "";
    return this.createOrGet(
      `create Service ${name}`,
      () => this.clients.core.createNamespacedService({ namespace: this.namespace, body }),
      () => this.clients.core.readNamespacedService({ name, namespace: this.namespace }),
    );
  }

  // --- ConfigMaps ---
  getConfigMap(name: string): Promise<V1ConfigMap | undefined> {
    return this.read(`read ConfigMap ${name}`, () =>
      this.clients.core.readNamespacedConfigMap({ name, namespace: this.namespace }),
    );
  }

  async listConfigMaps(labelSelector: string): Promise<V1ConfigMap[]> {
    const list = await this.call(`list ConfigMaps ${labelSelector}`, () =>
      this.clients.core.listNamespacedConfigMap({ namespace: this.namespace, labelSelector }),
    );
    return list.items;
  }

  createConfigMap(body: V1ConfigMap): Promise<V1ConfigMap> {
    return this.write(`create ConfigMap ${body.metadata?.name}`, () =>
      this.clients.core.createNamespacedConfigMap({ namespace: this.namespace, body }),
    );
  }

  replaceConfigMap(body: V1ConfigMap): Promise<V1ConfigMap> {
    const name = body.metadata?.name ?? "";
    return this.write(`replace ConfigMap ${name}`, () =>
      this.clients.core.replaceNamespacedConfigMap({ name, namespace: this.namespace, body }),
    );
  }

  /**
   * A Secret the pod template refers to, read only to digest its content into
   * the release (rollout/config-hash.ts); its data is never logged or stored.
   */
  getSecret(name: string): Promise<V1Secret | undefined> {
    return this.read(`read Secret ${name}`, () =>
      this.clients.core.readNamespacedSecret({ name, namespace: this.namespace }),
    );
  }

  // --- Leases: the fence's own mechanism, so not fenced; every write is conditional ---
  async getLease(name: string, options: { deadline?: number } = {}): Promise<V1Lease | undefined> {
    try {
      return await this.call(
        `read Lease ${name}`,
        () => this.clients.coordination.readNamespacedLease({ name, namespace: this.namespace }),
        options,
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  createLease(lease: V1Lease): Promise<V1Lease> {
    const body = withMicroTimes(lease);
    return this.call(`create Lease ${body.metadata?.name}`, () =>
      this.clients.coordination.createNamespacedLease({ namespace: this.namespace, body }),
    );
  }

  replaceLease(lease: V1Lease, options: { deadline?: number } = {}): Promise<V1Lease> {
    const body = withMicroTimes(lease);
    const name = body.metadata?.name ?? "";
    return this.call(
      `replace Lease ${name}`,
      () => this.clients.coordination.replaceNamespacedLease({ name, namespace: this.namespace, body }),
      options,
    );
  }

  // --- Events (best effort: an audit trail must not fail a rollback) ---
  /** Events by field selector (e.g. the kubelet's `reason=Unhealthy` probe failures). */
  async listEvents(fieldSelector: string): Promise<CoreV1Event[]> {
    const list = await this.call(`list events ${fieldSelector}`, () =>
      this.clients.core.listNamespacedEvent({ namespace: this.namespace, fieldSelector }),
    );
    return list.items;
  }

  async recordEvent(event: CoreV1Event): Promise<void> {
    try {
      await this.write("create Event", () =>
        this.clients.core.createNamespacedEvent({ namespace: this.namespace, body: event }),
      );
    } catch (error) {
      if (isOwnershipLost(error)) throw error;
      throw new GrayctlError(`could not record the event: ${describeApiError(error).message}`);
    }
  }
}

export { MERGE };
