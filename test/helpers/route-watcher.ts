// The VirtualService / HTTPRoute counterpart of traffic-watcher.ts: watches the
// sandbox's store through every change and records (1) the canary's share of the
// app's weighted route as the sandbox's front door compiles it (not as grayctl's
// own code reads it) and (2) any moment at which a weight write or a pod taken
// away left a track with weight > 0 and no ready pod — safety invariant 1,
// judged in the API server's order (event-replay.ts).
import { R } from "../../sandbox/resources.ts";
import type { Store } from "../../sandbox/store.ts";
import { buildRouteTable, readSources } from "../../sandbox/traffic/routes.ts";
import { EventLog, podTakenAway, readyPodsBehind } from "./event-replay.ts";
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
    log.replay((replayed, { type, event }) => {
      if (type !== routeType && !(type === R.pods && podTakenAway(event))) return;
      const weight = canaryShare(replayed);
      if (weight === undefined) return;
      const cause = `${event.object.kind ?? type.kind} ${event.object.metadata.name} ${event.type}`;
      if (weight > 0 && readyPodsBehind(replayed, namespace, canary).length === 0)
        found.push(`canary weight ${weight}% with no ready canary pod (after ${cause})`);
      if (weight < 100 && readyPodsBehind(replayed, namespace, stable).length === 0)
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
