// A local Store kept as an exact mirror of a real API server: each resource type
// is listed and watched (sandbox/mirror-reflector.ts), and every object is kept
// verbatim (uid, resourceVersion, generation, status as the server has them).
// The Store emits its usual ADDED/MODIFIED/DELETED events as the mirror applies
// changes, so what reads a sandbox Store (the traffic layer, the tests'
// synchronous watchers) reads a real cluster unchanged.
//
// The mirror is read-only: writes go to the API server, never to its Store.
import { KubeConfig } from "@kubernetes/client-node";
import { resourceName } from "./mirror-http.ts";
import { Reflector, type ReflectorStats } from "./mirror-reflector.ts";
import { R, type ResourceType } from "./resources.ts";
import { Store } from "./store.ts";

/** What the real-cluster suites read: workloads, routing objects, and what grayctl writes. */
export const MIRRORED_TYPES: ResourceType[] = [
  R.pods,
  R.services,
  R.endpointslices,
  R.deployments,
  R.replicasets,
  R.configmaps,
  R.events,
  R.ingresses,
  R.leases,
  R.horizontalpodautoscalers,
  R.virtualservices,
  R.httproutes,
];

export interface MirrorOptions {
  kubeconfigPath: string;
  /** Context in the kubeconfig; its current context by default. */
  context?: string;
  resources: ResourceType[];
  /** Mirror one namespace; every namespace by default. */
  namespace?: string;
  /** `synced` rejects if some type has not been listed by then (default 60 s). */
  syncTimeoutMs?: number;
  /** Deadline of each list request (default 30 s). */
  requestTimeoutMs?: number;
  /** Server-side watch timeout; by default 20–28 s, after which the watch resumes. */
  watchTimeoutSeconds?: number;
  /** How often a type the server does not serve is looked for again (default 5 s). */
  missingRecheckMs?: number;
  /** Where the mirror reports skipped types and failures (default: stderr). */
  log?: (message: string) => void;
}

export interface Mirror {
  store: Store;
  /** Resolves once every type has been listed (or found not served); rejects at the sync deadline. */
  synced: Promise<void>;
  /**
   * Resolves once the Store holds what a fresh list of every served type shows
   * (same objects, same resourceVersions), checking again until `timeoutMs`.
   */
  caughtUp(timeoutMs?: number): Promise<void>;
  /** Per type ("pods", "ingresses.networking.k8s.io"): lists, watches, 410s, whether served. */
  stats(): Record<string, ReflectorStats>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function mirrorCluster(options: MirrorOptions): Mirror {
  const config = new KubeConfig();
  config.loadFromFile(options.kubeconfigPath);
  if (options.context) config.setCurrentContext(options.context);
  const store = new Store();
  const log = options.log ?? ((message: string) => console.error(`mirror: ${message}`));
  const pending = new Set<string>();
  let resolveSynced: () => void = () => {};
  let rejectSynced: (error: Error) => void = () => {};
  const synced = new Promise<void>((resolve, reject) => {
    resolveSynced = resolve;
    rejectSynced = reject;
  });
  // A caller that never awaits `synced` must not crash the process when it rejects.
  synced.catch(() => {});

  const unique = [...new Set(options.resources)];
  const reflectors = unique.map((type) => {
    pending.add(resourceName(type));
    return new Reflector({
      config,
      store,
      type,
      namespace: options.namespace,
      watchTimeoutSeconds: options.watchTimeoutSeconds,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      missingRecheckMs: options.missingRecheckMs ?? 5000,
      log,
      onSynced: () => {
        pending.delete(resourceName(type));
        if (pending.size === 0) resolveSynced();
      },
    });
  });
  if (pending.size === 0) resolveSynced();
  const syncTimeoutMs = options.syncTimeoutMs ?? 60_000;
  const deadline = setTimeout(
    () => rejectSynced(new Error(`mirror: not synced within ${syncTimeoutMs} ms: ${[...pending].join(", ")}`)),
    syncTimeoutMs,
  );
  deadline.unref();
  void synced.then(
    () => clearTimeout(deadline),
    () => {},
  );
  for (const reflector of reflectors) reflector.start();

  const stats = () => Object.fromEntries(reflectors.map((r) => [r.name, { ...r.stats }]));

  /** The first type whose Store contents differ from a fresh list, or undefined. */
  const firstDifference = async (): Promise<string | undefined> => {
    for (const reflector of reflectors) {
      if (!reflector.stats.served) continue;
      const { items } = await reflector.list();
      const type = unique[reflectors.indexOf(reflector)];
      const held = store.list(type, options.namespace);
      const versions = new Map(
        held.map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o.metadata.resourceVersion]),
      );
      const same =
        held.length === items.length &&
        items.every((o) => versions.get(`${o.metadata.namespace}/${o.metadata.name}`) === o.metadata.resourceVersion);
      if (!same) return `${reflector.name} (server ${items.length}, mirror ${held.length} objects)`;
    }
    return undefined;
  };

  return {
    store,
    synced,
    stats,
    caughtUp: async (timeoutMs = 10_000) => {
      await synced;
      const until = Date.now() + timeoutMs;
      for (;;) {
        const difference = await firstDifference();
        if (difference === undefined) return;
        if (Date.now() > until) throw new Error(`mirror: not caught up within ${timeoutMs} ms: ${difference}`);
        await sleep(50);
      }
    },
    stop: async () => {
      clearTimeout(deadline);
      rejectSynced(new Error("mirror: stopped before it synced"));
      await Promise.all(reflectors.map((r) => r.stop()));
    },
  };
}
