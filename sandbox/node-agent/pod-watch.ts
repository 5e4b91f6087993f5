// The pods bound to this node, as kubelet follows them: list with the field
// selector spec.nodeName, then watch from the list's resourceVersion; a watch
// that ends is resumed from the last resourceVersion seen (bookmarks included),
// and one the server no longer can resume (410 Gone) starts over with a list.
import { ApiError, type KubeApi, type KubeObject, type WatchEvent } from "./kube-api.ts";

export interface PodHandler {
  /** The complete set after a (re-)list: pods missing from it are gone. */
  sync(pods: KubeObject[]): void;
  event(type: "ADDED" | "MODIFIED" | "DELETED", pod: KubeObject): void;
}

class Gone extends Error {}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

export class PodWatch {
  private readonly api: KubeApi;
  private readonly selector: string;
  private readonly handler: PodHandler;
  private readonly log: (line: string) => void;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(api: KubeApi, nodeName: string, handler: PodHandler, log: (line: string) => void) {
    this.api = api;
    this.selector = `fieldSelector=${encodeURIComponent(`spec.nodeName=${nodeName}`)}`;
    this.handler = handler;
    this.log = log;
  }

  /** Lists once (so the caller knows the API answers), then follows in the background. */
  async start(): Promise<void> {
    const resourceVersion = await this.list();
    this.loop = this.follow(resourceVersion);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async list(): Promise<string> {
    const list = await this.api.request("GET", `/api/v1/pods?${this.selector}`);
    this.handler.sync(list.items ?? []);
    return list.metadata.resourceVersion;
  }

  private async follow(from: string): Promise<void> {
    const signal = this.abort.signal;
    let resourceVersion: string | undefined = from;
    let failures = 0;
    while (!signal.aborted) {
      try {
        resourceVersion ??= await this.list();
        resourceVersion = await this.watchOnce(resourceVersion, signal);
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof Gone || (error instanceof ApiError && error.status === 410)) {
          resourceVersion = undefined;
          continue;
        }
        failures++;
        if (failures === 1 || failures % 10 === 0) this.log(`watching pods: ${(error as Error).message}`);
        // The list is the source of truth after an outage: events may have been missed.
        resourceVersion = undefined;
        await sleep(Math.min(500 * 2 ** Math.min(failures, 4), 5000), signal);
      }
    }
  }

  /** One watch request; resolves with the last resourceVersion seen when the server ends it. */
  private async watchOnce(resourceVersion: string, signal: AbortSignal): Promise<string> {
    let latest = resourceVersion;
    const path =
      `/api/v1/pods?${this.selector}&watch=1&allowWatchBookmarks=true` +
      `&timeoutSeconds=300&resourceVersion=${encodeURIComponent(resourceVersion)}`;
    // An ERROR event is remembered and raised once the server has closed the stream, as it does after one.
    let failed: Error | undefined;
    await this.api.watch(
      path,
      (event: WatchEvent) => {
        if (failed) return;
        if (event.type === "ERROR") {
          const message = event.object?.message ?? JSON.stringify(event.object);
          failed = event.object?.code === 410 ? new Gone(message) : new Error(`watch error: ${message}`);
          return;
        }
        latest = event.object?.metadata?.resourceVersion ?? latest;
        if (event.type !== "BOOKMARK") this.handler.event(event.type, event.object);
      },
      signal,
    );
    if (failed) throw failed;
    return latest;
  }
}
