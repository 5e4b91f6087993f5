// The VirtualService / HTTPRoute counterpart of traffic-watcher.ts: watches the
// sandbox's store through every change and records (1) the canary's share of the
// app's weighted route as the sandbox's front door compiles it (not as grayctl's
// own code reads it) and (2) any moment at which a weight write or a pod taken
// away left a track with weight > 0 and no ready pod — safety invariant 1.
import { serviceEndpoints } from "../../sandbox/endpoints.ts";
import { R } from "../../sandbox/resources.ts";
import type { Store } from "../../sandbox/store.ts";
import { buildRouteTable, readSources } from "../../sandbox/traffic/routes.ts";
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
  const violations: string[] = [];

  /** The canary's percentage in the first header-less rule that splits between the two tracks. */
  const canaryShare = (): number | undefined => {
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

  const check = (cause: string) => {
    const weight = canaryShare();
    if (weight === undefined) return;
    if (weight > 0 && serviceEndpoints(store, namespace, canary).length === 0) {
      violations.push(`canary weight ${weight}% with no ready canary pod (after ${cause})`);
    }
    if (weight < 100 && serviceEndpoints(store, namespace, stable).length === 0) {
      violations.push(`stable weight ${100 - weight}% with no ready stable pod (after ${cause})`);
    }
  };

  const routeType = kind === "istio" ? R.virtualservices : R.httproutes;
  const stops = [
    store.watch(routeType, namespace, undefined, (event) => {
      const weight = canaryShare();
      if (weight !== undefined && weights.at(-1) !== weight) weights.push(weight);
      check(`${event.object.kind ?? routeType.kind} ${event.object.metadata.name} ${event.type}`);
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
