// The watcher every campaign runs: it sees the cluster the way the API server
// does — every change to the app's objects (the sandbox's store, or the mirror
// of a real cluster) and every request with the User-Agent of the grayctl
// process that sent it (grayctl puts its holder identity there) — and judges
// three invariants of issue 11:
//   1. no weight > 0 on a track with no ready pods (traffic-watcher.ts);
//   2. stable is never set to an image after that image was rolled back
//      (unless a new rollout of it started after the rollback);
//   3. no write from a process after it lost ownership: once the Lease or the
//      state record names someone else, requests that change something from
//      the process it named before are counted.
// Changes are judged in resourceVersion order (global across types, in etcd
// and in the sandbox), requests by arrival. On a real cluster the mirror sees a
// takeover a little late, so (3) can only undercount there, never invent one.
import { R } from "../../../sandbox/resources.ts";
import type { Store } from "../../../sandbox/store.ts";
import { type TrafficWatcher, watchTraffic } from "../../helpers/traffic-watcher.ts";

export interface RequestSeen {
  at: number;
  method: string;
  path: string;
  /** The holder identity in grayctl's User-Agent ("grayctl (OWNER)"). */
  owner?: string;
}

/** Passed to startSandboxApp as onRequest, before the campaign's watcher exists. */
export class RequestLog {
  readonly requests: RequestSeen[] = [];
  readonly onRequest = (method: string, url: string, userAgent: string | undefined) => {
    const owner = /^grayctl \((.+)\)$/.exec(userAgent ?? "")?.[1];
    this.requests.push({ at: performance.now(), method, path: url.split("?")[0], owner });
  };
  since(from: number): RequestSeen[] {
    return this.requests.filter((r) => r.at >= from);
  }
  /** Requests that change something (not GET), from `from` on. */
  writesSince(from: number): RequestSeen[] {
    return this.since(from).filter((r) => r.method !== "GET");
  }
}

export interface InvariantCounts {
  trafficViolations: string[];
  stableViolations: string[];
  writesAfterLostOwnership: string[];
}

const version = (object: { metadata: { resourceVersion?: string } }) => Number(object.metadata.resourceVersion ?? 0);

export class InvariantWatcher {
  private readonly traffic: TrafficWatcher;
  private readonly stops: (() => void)[] = [];
  private readonly from = performance.now();
  /** image → resourceVersion of the record that rolled it back. */
  private readonly rolledBack = new Map<string, number>();
  private readonly stableImages: { image: string; version: number }[] = [];
  private readonly restarts: { image: string; version: number }[] = [];
  /** owner → when (performance.now) the Lease or the record first named someone else after it. */
  private readonly lostAt = new Map<string, number>();
  private leaseHolder?: string;
  private stateOwner?: string;

  private readonly log: RequestLog;

  constructor(store: Store, namespace: string, app: string, log: RequestLog) {
    this.log = log;
    this.traffic = watchTraffic(store, namespace, app);
    // Who owns the rollout as the watch starts: a takeover from them is a loss too.
    this.leaseHolder = store.get(R.leases, namespace, `${app}-grayctl`)?.spec?.holderIdentity || undefined;
    const data = store.get(R.configmaps, namespace, `${app}-grayctl`)?.data as Record<string, string> | undefined;
    this.stateOwner = data?.state ? JSON.parse(data.state).owner : undefined;
    this.stops.push(
      store.watch(R.leases, namespace, undefined, (event) => {
        if (event.object.metadata.name !== `${app}-grayctl`) return;
        const holder = event.object.spec?.holderIdentity || undefined;
        this.lose(this.leaseHolder, holder);
        this.leaseHolder = holder;
      }),
      store.watch(R.configmaps, namespace, undefined, (event) => {
        if (event.object.metadata.name !== `${app}-grayctl`) return;
        const data = event.object.data as Record<string, string> | undefined;
        const state = data?.state ? JSON.parse(data.state) : undefined;
        this.lose(this.stateOwner, state?.owner);
        this.stateOwner = state?.owner;
        if (state?.phase === "progressing" && state.stepIndex < 0)
          this.restarts.push({ image: state.image, version: version(event.object) });
        for (const entry of data?.history ? JSON.parse(data.history) : []) {
          if (entry.outcome === "rolled-back" && !this.rolledBack.has(entry.image))
            this.rolledBack.set(entry.image, version(event.object));
        }
      }),
      store.watch(R.deployments, namespace, undefined, (event) => {
        if (event.object.metadata.name !== app || event.type === "DELETED") return;
        const image = event.object.spec?.template?.spec?.containers?.[0]?.image;
        if (image && this.stableImages.at(-1)?.image !== image)
          this.stableImages.push({ image, version: version(event.object) });
      }),
    );
  }

  private lose(previous: string | undefined, next: string | undefined): void {
    if (previous && previous !== next && !this.lostAt.has(previous)) this.lostAt.set(previous, performance.now());
  }

  /** Stops watching and returns what broke. Call once the cluster has settled. */
  finish(): InvariantCounts {
    for (const stop of this.stops) stop();
    this.traffic.stop();
    const stableViolations: string[] = [];
    for (const set of this.stableImages) {
      const rolledBackAt = this.rolledBack.get(set.image);
      if (rolledBackAt === undefined || set.version < rolledBackAt) continue;
      // A new rollout of the same image after its rollback may promote it again.
      if (this.restarts.some((r) => r.image === set.image && r.version > rolledBackAt && r.version < set.version))
        continue;
      stableViolations.push(`stable set to ${set.image} (version ${set.version}) after its rollback (${rolledBackAt})`);
    }
    const writesAfterLostOwnership = this.log
      .writesSince(this.from)
      .filter((r) => r.owner !== undefined && r.at > (this.lostAt.get(r.owner) ?? Number.POSITIVE_INFINITY))
      .map((r) => `${r.method} ${r.path} from ${r.owner}`);
    return { trafficViolations: this.traffic.violations, stableViolations, writesAfterLostOwnership };
  }
}
