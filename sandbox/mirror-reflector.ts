// One resource type of a mirror: list, then watch from the list's
// resourceVersion, applying every event to the local Store verbatim, for as long
// as the mirror runs. As client-go's reflector does:
// - a watch that ends (server timeout, client inactivity timeout) resumes from
//   the last resourceVersion seen (events and bookmarks);
// - 410 Gone (an HTTP answer or an ERROR event: the version fell out of the
//   server's history) lists again; the relist replaces the type's contents,
//   emitting ADDED/MODIFIED/DELETED for what changed while the mirror was blind;
// - other failures are retried with backoff, reported once per streak;
// - a type the server does not serve (404: a CRD not installed) is skipped,
//   reported once, and looked for again now and then.
import { setTimeout as sleep } from "node:timers/promises";
import { type KubeConfig, Watch } from "@kubernetes/client-node";
import { ApiStatusError, collectionPath, getJson, resourceName } from "./mirror-http.ts";
import { apiVersionOf, type ResourceType } from "./resources.ts";
import type { KubeObject, Store } from "./store.ts";

export interface ReflectorOptions {
  config: KubeConfig;
  store: Store;
  type: ResourceType;
  namespace?: string;
  /** Server-side watch timeout; by default 20–28 s, under the client's 30 s inactivity timeout. */
  watchTimeoutSeconds?: number;
  /** Deadline of one list request. */
  requestTimeoutMs: number;
  /** How often a type the server does not serve is looked for again. */
  missingRecheckMs: number;
  log: (message: string) => void;
  /** Called once: after the first complete list, or when the type turns out not to be served. */
  onSynced: () => void;
}

export interface ReflectorStats {
  /** Complete lists (each page counted once per list). */
  lists: number;
  /** Watch requests made. */
  watches: number;
  /** Watches that ended with 410 Gone, each followed by a relist. */
  expired: number;
  /** False while the server answers 404 for the type. */
  served: boolean;
}

interface WatchEnd {
  expired?: boolean;
  error?: unknown;
}

const PAGE_SIZE = "500";
const QUICK_END_MS = 200;
const backoffMs = (failures: number) => Math.min(5000, 100 * 2 ** (failures - 1));

/** The HTTP status of a failed list (ApiStatusError) or watch request (client-node sets statusCode). */
const statusOf = (error: unknown) => (error as { statusCode?: number } | null)?.statusCode;
const isGone = (error: unknown) => statusOf(error) === 410;
const isTimeout = (error: unknown) => (error as { name?: string } | null)?.name === "TimeoutError";
function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const status = statusOf(error);
  return status !== undefined && !message.includes(String(status)) ? `${status} ${message}` : message;
}

export class Reflector {
  readonly stats: ReflectorStats = { lists: 0, watches: 0, expired: 0, served: true };
  private readonly options: ReflectorOptions;
  private readonly type: ResourceType;
  private readonly path: string;
  private readonly watch: Watch;
  private readonly abort = new AbortController();
  private resourceVersion: string | undefined;
  private watchController: AbortController | undefined;
  private stopped = false;
  private synced = false;
  private lastReported = "";
  private done: Promise<void> = Promise.resolve();

  constructor(options: ReflectorOptions) {
    this.options = options;
    this.type = options.type;
    this.path = collectionPath(options.type, options.namespace);
    this.watch = new Watch(options.config);
  }

  get name(): string {
    return resourceName(this.type);
  }

  start(): void {
    this.done = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.watchController?.abort();
    await this.done;
  }

  /** One complete list (all pages), objects carrying apiVersion and kind as watch events do. */
  async list(): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    const items: KubeObject[] = [];
    let resourceVersion = "";
    let token: string | undefined;
    do {
      const query: Record<string, string> = { limit: PAGE_SIZE };
      if (token) query.continue = token;
      const page = (await getJson(this.options.config, this.path, query, {
        signal: this.abort.signal,
        timeoutMs: this.options.requestTimeoutMs,
      })) as { items?: KubeObject[] | null; metadata?: { resourceVersion?: string; continue?: string } };
      for (const item of page.items ?? []) items.push(this.withKind(item));
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      token = page.metadata?.continue || undefined;
    } while (token);
    return { items, resourceVersion };
  }

  /** Lists in a server collection omit apiVersion and kind; events and the Store have them. */
  private withKind(obj: KubeObject): KubeObject {
    if (obj.apiVersion && obj.kind) return obj;
    return { apiVersion: apiVersionOf(this.type), kind: this.type.kind, ...obj };
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    this.options.onSynced();
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.abort.signal }).catch(() => {});
  }

  private report(message: string): void {
    if (message === this.lastReported) return;
    this.lastReported = message;
    this.options.log(message);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (this.resourceVersion === undefined) {
          const listed = await this.list();
          if (this.stopped) return;
          this.replace(listed.items);
          this.resourceVersion = listed.resourceVersion;
          this.stats.lists++;
          if (!this.stats.served) this.options.log(`${this.name} is served now; mirroring it`);
          this.stats.served = true;
          this.markSynced();
        }
        const started = Date.now();
        const end = await this.watchFrom(this.resourceVersion);
        if (this.stopped) return;
        // A server that keeps closing watches at once must not be asked again in a tight loop.
        if (Date.now() - started < QUICK_END_MS && end.error === undefined && !end.expired)
          await this.pause(QUICK_END_MS);
        if (end.expired) {
          this.stats.expired++;
          this.resourceVersion = undefined; // relist at once: nothing else brings the mirror back in step
          continue;
        }
        if (end.error !== undefined) throw end.error;
        failures = 0;
        this.lastReported = "";
      } catch (error) {
        if (this.stopped) return;
        if (isGone(error)) {
          // A watch refused with 410, or a list's continue token that expired: list afresh.
          this.stats.expired++;
          this.resourceVersion = undefined;
          continue;
        }
        if (statusOf(error) === 404) {
          if (this.resourceVersion !== undefined) {
            // The watch says the type is gone: a list tells whether it still is.
            this.resourceVersion = undefined;
            failures++;
            await this.pause(backoffMs(failures));
            continue;
          }
          if (this.stats.served)
            this.options.log(`${this.name} is not served by the API server (not installed?); skipped`);
          this.stats.served = false;
          this.lastReported = "";
          this.markSynced();
          await this.pause(this.options.missingRecheckMs);
          continue;
        }
        failures++;
        this.report(`${this.name}: ${errorText(error)}; retrying`);
        await this.pause(backoffMs(failures));
      }
    }
  }

  /** Replaces the type's contents with a fresh list, emitting only what changed. */
  private replace(items: KubeObject[]): void {
    const { store } = this.options;
    const listed = new Set<string>();
    for (const item of items) {
      listed.add(`${item.metadata.namespace ?? ""}/${item.metadata.name}`);
      store.putVerbatim(this.type, item);
    }
    for (const held of store.list(this.type, this.options.namespace)) {
      if (!listed.has(`${held.metadata.namespace ?? ""}/${held.metadata.name}`)) store.removeVerbatim(this.type, held);
    }
  }

  /** One watch request, until it ends; events go to the store as they arrive. */
  private watchFrom(resourceVersion: string): Promise<WatchEnd> {
    this.stats.watches++;
    const timeoutSeconds = this.options.watchTimeoutSeconds ?? 20 + Math.floor(Math.random() * 9);
    const query = { resourceVersion, allowWatchBookmarks: true, timeoutSeconds };
    return new Promise<WatchEnd>((resolve) => {
      let ended = false;
      let expired = false;
      let streamError: unknown;
      const finish = (error: unknown) => {
        if (ended) return;
        ended = true;
        this.watchController?.abort();
        this.watchController = undefined;
        if (expired) return resolve({ expired: true });
        if (isGone(error)) return resolve({ expired: true });
        if (streamError !== undefined) return resolve({ error: streamError });
        // The client's inactivity timeout and a server-side close are ordinary ends.
        if (error && !isTimeout(error)) return resolve({ error });
        resolve({});
      };
      const onEvent = (phase: string, obj: KubeObject & { code?: number; reason?: string; message?: string }) => {
        if (ended || this.stopped) return;
        const { store } = this.options;
        switch (phase) {
          case "ADDED":
          case "MODIFIED":
            store.putVerbatim(this.type, this.withKind(obj));
            break;
          case "DELETED":
            store.removeVerbatim(this.type, this.withKind(obj));
            break;
          case "BOOKMARK":
            break;
          case "ERROR":
            if (obj.code === 410) expired = true;
            else
              streamError = new ApiStatusError(
                obj.code ?? 0,
                obj.reason,
                `watch ${this.path}: ${obj.code} ${obj.message ?? obj.reason ?? "error event"}`,
              );
            this.watchController?.abort(); // the stream is over either way
            return;
          default:
            return;
        }
        if (obj.metadata?.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
      };
      this.watch
        .watch(this.path, query, onEvent, finish)
        .then((controller) => {
          if (ended || this.stopped) controller.abort();
          else this.watchController = controller;
        })
        .catch(finish);
    });
  }
}
