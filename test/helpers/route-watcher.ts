// The VirtualService / HTTPRoute counterpart of traffic-watcher.ts: watches the
// sandbox's store through every change and records (1) the canary's share of the
// app's weighted route as the sandbox's front door compiles it (not as grayctl's
// own code reads it) and (2) any moment at which a weight write or a pod taken
// away left a track with weight > 0 and no ready pod — safety invariant 1,
// judged in the API server's order (event-replay.ts).
import { R } from "../../sandbox/resources.ts";
import type { Store } from "../../sandbox/store.ts";
import { buildRouteTable, readSources } from "../../sandbox/traffic/routes.ts";
import { EventLog, podTakenAway, ReadinessSinceWrite, readyPodsBehind } from "./event-replay.ts";
import type { TrafficWatcher } from "./traffic-watcher.ts";

export function watchRouteWeights(
  store: Store,
  kind: "istio" | "gateway-api",
  options: { namespace: string; app: string; host: string },
): TrafficWatcher {
  const { namespace, app, host } = options;
  const stable = `${app}-stable`;
  const canary = `${app}-canary`;
  const weights: number[] = [];
  const log = new EventLog();

  /** The canary's percentage in the first header-less rule that splits between the two tracks. */
  const canaryShare = (store: Store): number | undefined => {
    const routes = buildRouteTable(readSources(store)).exact.get(host);
    if (!routes || routes.kind !== kind) return undefined;
    const split = routes.rules.find(
      (rule) => rule.headers.length === 0 && rule.backends.some((b) => b.service === stable || b.service === canary),
    );
    if (!split) return undefined;
    const weightOf = (service: string) =>
      split.backends.filter((b) => b.service === service).reduce((sum, b) => sum + b.weight, 0);
    const total = split.backends.reduce((sum, b) => sum + b.weight, 0);
    return total === 0 ? 0 : (100 * weightOf(canary)) / total;
  };

  const routeType = kind === "istio" ? R.virtualservices : R.httproutes;
  const stops = [routeType, R.pods, R.services].map((type) =>
    store.watch(type, namespace, undefined, (event) => {
      log.record(type, event);
      if (type !== routeType) return;
      const weight = canaryShare(store);
      if (weight !== undefined && weights.at(-1) !== weight) weights.push(weight);
    }),
  );
  const violations = () => {
    const found: string[] = [];
    const memory = new ReadinessSinceWrite();
    log.replay((replayed, recorded) => {
      const { type, event } = recorded;
      const routeWrite = type === routeType;
      const takenAway = type === R.pods && podTakenAway(recorded);
      const weight = routeWrite || takenAway ? canaryShare(replayed) : undefined;
      if (weight === undefined) {
        memory.observe(replayed, namespace, [canary, stable]);
        return;
      }
      const cause = `${event.object.kind ?? type.kind} ${event.object.metadata.name} ${event.type}`;
      // A pod taken away is judged as the cluster stands; a route write by what grayctl could have seen.
      const couldCarry = (track: string) =>
        readyPodsBehind(replayed, namespace, track).length > 0 || (routeWrite && memory.hadReady(track));
      if (weight > 0 && !couldCarry(canary))
        found.push(`canary weight ${weight}% with no ready canary pod (after ${cause})`);
      if (weight < 100 && !couldCarry(stable))
        found.push(`stable weight ${100 - weight}% with no ready stable pod (after ${cause})`);
      if (routeWrite) memory.reset();
      memory.observe(replayed, namespace, [canary, stable]);
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
