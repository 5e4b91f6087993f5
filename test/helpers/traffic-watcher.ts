// Watches the sandbox's store through every change and records (1) the canary
// weights the nginx router wrote and (2) any moment at which grayctl's own
// action (a weight write, a pod taken away) left a track with weight > 0 but
// no ready pod — safety invariant 1.
import { serviceEndpoints } from "../../sandbox/endpoints.ts";
import { R } from "../../sandbox/resources.ts";
import type { Store } from "../../sandbox/store.ts";

const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";

export interface TrafficWatcher {
  weights: number[];
  violations: string[];
  stop(): void;
}

export function watchTraffic(store: Store, namespace: string, app: string): TrafficWatcher {
  const weights: number[] = [];
  const violations: string[] = [];
  const check = (cause: string) => {
    const main = store.get(R.ingresses, namespace, app);
    const canary = store.get(R.ingresses, namespace, `${app}-canary`);
    if (!main) return;
    const weight = Number(canary?.metadata.annotations?.[WEIGHT] ?? 0);
    if (weight > 0 && serviceEndpoints(store, namespace, `${app}-canary`).length === 0) {
      violations.push(`canary weight ${weight}% with no ready canary pod (after ${cause})`);
    }
    if (weight < 100 && serviceEndpoints(store, namespace, `${app}-stable`).length === 0) {
      violations.push(`stable weight ${100 - weight}% with no ready stable pod (after ${cause})`);
    }
  };
  const stops = [
    store.watch(R.ingresses, namespace, undefined, (event) => {
      if (event.object.metadata.name === `${app}-canary` && event.type !== "DELETED") {
        const weight = Number(event.object.metadata.annotations?.[WEIGHT]);
        if (weights.at(-1) !== weight) weights.push(weight);
      }
      check(`Ingress ${event.object.metadata.name} ${event.type}`);
    }),
    // A pod that crashes is the app's doing and grayctl reacts to it; a pod taken
    // away (terminating or deleted) while its track still has weight is grayctl's doing.
    store.watch(R.pods, namespace, undefined, (event) => {
      if (event.type === "DELETED" || event.object.metadata.deletionTimestamp)
        check(`Pod ${event.object.metadata.name} ${event.type}`);
    }),
  ];
  return {
    weights,
    violations,
    stop: () => {
      for (const stop of stops) stop();
    },
  };
}
