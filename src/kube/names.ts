// Object names and labels of the cluster model (docs/decisions/001-cluster-model.md).

export type Track = "stable" | "canary";

export const MANAGED_BY = { "app.kubernetes.io/managed-by": "grayctl" } as const;

export const names = (app: string) => ({
  stable: app,
  canary: `${app}-canary`,
  /** Selects both tracks: the replicas router splits by replica ratio through it. */
  service: app,
  stableService: `${app}-stable`,
  canaryService: `${app}-canary`,
  state: `${app}-grayctl`,
  lease: `${app}-grayctl`,
  /** A release across targets (issue 22): its record and its lock, in the record target's namespace. */
  release: `${app}-grayctl-release`,
  ingress: app,
  canaryIngress: `${app}-canary`,
  route: app,
});

export const trackLabels = (app: string, track: Track) => ({ app, track });
export const trackSelector = (app: string, track: Track) => `app=${app},track=${track}`;
