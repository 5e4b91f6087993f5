// Watches the sandbox's store (or the mirror of a real cluster) through every
// change and records (1) the canary weights the nginx router wrote and (2) any
// moment at which grayctl's own action (a weight write, a pod taken away) left
// a track with weight > 0 but no ready pod — safety invariant 1, judged in the
// API server's order (event-replay.ts).
import { R } from "../../sandbox/resources.ts";
import type { Store } from "../../sandbox/store.ts";
import { EventLog, podTakenAway, readyPodsBehind } from "./event-replay.ts";

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
    log.replay((replayed, { type, event }) => {
      const isCause = type === R.ingresses || (type === R.pods && podTakenAway(event));
      if (!isCause || !replayed.get(R.ingresses, namespace, app)) return;
      const canary = replayed.get(R.ingresses, namespace, `${app}-canary`);
      const weight = Number(canary?.metadata.annotations?.[WEIGHT] ?? 0);
      const cause = `${type.kind} ${event.object.metadata.name} ${event.type}`;
      if (weight > 0 && readyPodsBehind(replayed, namespace, `${app}-canary`).length === 0)
        found.push(`canary weight ${weight}% with no ready canary pod (after ${cause})`);
      if (weight < 100 && readyPodsBehind(replayed, namespace, `${app}-stable`).length === 0)
        found.push(`stable weight ${100 - weight}% with no ready stable pod (after ${cause})`);
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
