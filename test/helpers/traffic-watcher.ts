// Watches the sandbox's store (or the mirror of a real cluster) through every
// change and records (1) the canary weights the nginx router wrote and (2) any
// moment at which grayctl's own action (a weight write, a pod taken away) left
// a track with weight > 0 but no ready pod — safety invariant 1, judged in the
// API server's order (event-replay.ts).
import { R } from "../../sandbox/resources.ts";
import type { Store } from "../../sandbox/store.ts";
import { EventLog, podTakenAway, ReadinessSinceWrite, readyPodsBehind } from "./event-replay.ts";

const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";

export interface TrafficWatcher {
  weights: number[];
  /** Computed on read from everything recorded so far: read it once the cluster has settled. */
  readonly violations: string[];
  stop(): void;
}

export function watchTraffic(store: Store, namespace: string, app: string): TrafficWatcher {
  const weights: number[] = [];
  const log = new EventLog();
  const types = [R.ingresses, R.pods, R.services];
  const stops = types.map((type) =>
    store.watch(type, namespace, undefined, (event) => {
      log.record(type, event);
      if (type === R.ingresses && event.object.metadata.name === `${app}-canary` && event.type !== "DELETED") {
        const weight = Number(event.object.metadata.annotations?.[WEIGHT]);
        if (weights.at(-1) !== weight) weights.push(weight);
      }
    }),
  );
  const violations = () => {
    const found: string[] = [];
    const tracks = [`${app}-canary`, `${app}-stable`];
    const memory = new ReadinessSinceWrite();
    log.replay((replayed, recorded) => {
      const { type, event } = recorded;
      const routeWrite = type === R.ingresses;
      const takenAway = type === R.pods && podTakenAway(recorded);
      if ((!routeWrite && !takenAway) || !replayed.get(R.ingresses, namespace, app)) {
        memory.observe(replayed, namespace, tracks);
        return;
      }
      const canary = replayed.get(R.ingresses, namespace, `${app}-canary`);
      const weight = Number(canary?.metadata.annotations?.[WEIGHT] ?? 0);
      const cause = `${type.kind} ${event.object.metadata.name} ${event.type}`;
      // A pod taken away is judged as the cluster stands; a route write by what grayctl could have seen.
      const couldCarry = (track: string) =>
        readyPodsBehind(replayed, namespace, track).length > 0 || (routeWrite && memory.hadReady(track));
      if (weight > 0 && !couldCarry(`${app}-canary`))
        found.push(`canary weight ${weight}% with no ready canary pod (after ${cause})`);
      if (weight < 100 && !couldCarry(`${app}-stable`))
        found.push(`stable weight ${100 - weight}% with no ready stable pod (after ${cause})`);
      if (routeWrite) memory.reset();
      memory.observe(replayed, namespace, tracks);
    });
    return found;
  };
  return {
    weights,
    get violations() {
      return violations();
    },
    stop: () => {
      for (const stop of stops) stop();
    },
  };
}
