// Safety invariant 1 judged in the order the API server made the changes.
// On the sandbox, store events arrive in that order; on a real cluster the
// suites see it through a mirror with one watch stream per type, so a pod's
// deletion can arrive before the router write that preceded it (found on the
// real control plane: a false "weight with no ready pod"). The watchers record
// every event and replay them sorted by resourceVersion (etcd's revision,
// global across types; the sandbox's counter is global too) into a fresh store,
// checking the invariant after each event that could break it.
import { isPodReady } from "../../sandbox/endpoints.ts";
import { matchesMap } from "../../sandbox/labels.ts";
import { R, type ResourceType } from "../../sandbox/resources.ts";
import { type KubeObject, Store, type WatchEvent } from "../../sandbox/store.ts";

export interface RecordedEvent {
  type: ResourceType;
  event: WatchEvent;
  /** The object as it stood before this event, in the replay. */
  previous?: KubeObject;
}

export class EventLog {
  private readonly events: RecordedEvent[] = [];

  record(type: ResourceType, event: WatchEvent): void {
    this.events.push({ type, event: { type: event.type, object: structuredClone(event.object) } });
  }

  /** Replays the events in resourceVersion order; `visit` sees the store as it was right after each. */
  replay(visit: (store: Store, recorded: RecordedEvent) => void): void {
    const store = new Store();
    const version = (e: RecordedEvent) => Number(e.event.object.metadata.resourceVersion ?? 0);
    const ordered = this.events.map((e, index) => ({ e, index }));
    ordered.sort((a, b) => version(a.e) - version(b.e) || a.index - b.index);
    for (const { e } of ordered) {
      const { namespace, name } = e.event.object.metadata;
      const previous = store.get(e.type, namespace, name ?? "");
      if (e.event.type === "DELETED") store.removeVerbatim(e.type, e.event.object);
      else store.putVerbatim(e.type, e.event.object);
      visit(store, { ...e, previous });
    }
  }
}

/** Ready pods behind a Service (its selector, not its EndpointSlices: the invariant is about pods). */
export function readyPodsBehind(store: Store, namespace: string, service: string): KubeObject[] {
  const selector = store.get(R.services, namespace, service)?.spec?.selector;
  if (!selector) return [];
  return store.list(R.pods, namespace).filter((pod) => matchesMap(pod.metadata.labels, selector) && isPodReady(pod));
}

/**
 * The moment a pod is taken away (it starts terminating, or is deleted outright)
 * is grayctl's doing; a pod that crashes is the app's, and the removal of a pod
 * that was already terminating is only the end of what started earlier.
 */
export function podTakenAway({ event, previous }: RecordedEvent): boolean {
  if (previous?.metadata.deletionTimestamp) return false;
  return event.type === "DELETED" || Boolean(event.object.metadata.deletionTimestamp);
}

/**
 * Whether each track had a ready pod at some moment since the last route
 * write. A route write that gives a track weight is grayctl's fault only if
 * it had no ground to believe the track could carry it: no ready pod since the
 * previous write. A pod that crashes between grayctl's readiness read and its
 * write (the crash test's pod is ready and crashes within the same second) is
 * the app's doing, and grayctl's fail-fast takes the weight away again.
 */
export class ReadinessSinceWrite {
  private readonly seen = new Set<string>();

  observe(store: Store, namespace: string, services: string[]): void {
    for (const service of services) if (readyPodsBehind(store, namespace, service).length > 0) this.seen.add(service);
  }

  hadReady(service: string): boolean {
    return this.seen.has(service);
  }

  reset(): void {
    this.seen.clear();
  }
}
