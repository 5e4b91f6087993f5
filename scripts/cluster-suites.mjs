// The sandbox suites that `npm run test:cluster` runs again on the real control
// plane. CI runs them there only (`npm test -- --skip-cluster-shared`): the
// same scenario twice costs minutes of CI's budget and finds nothing new —
// except where the sandbox run covers what the cluster run cannot (SANDBOX_TOO).

// Sandbox suites that are the judge's business: every router, operate,
// interrupts, the pods metrics provider, API faults, autoscaled and changed
// Deployments, a lagging router.
export const SHARED_SUITES = [
  "rollout",
  "rollout-istio",
  "rollout-gateway-api",
  "rollout-replicas",
  "operate-rollback",
  "operate-rollback-takeover",
  "operate-status",
  "rollout-interrupts",
  "rollout-metrics-pods",
  // Continuous looks (issue 21): a state write at every look, against the real API server's fencing.
  "rollout-continuous",
  "gates-command-web",
  "rollout-faults",
  "router-matrix",
  "ci-github",
  "ci-gitlab",
  "rollout-autoscaler",
  "rollout-manifest-drift",
  "rollout-scale-down-delay",
  "operate-state-validation",
  "operate-rollback-edges",
  "plan",
  "rollout-hooks",
  "router-nginx-shared-ingress",
  "rollout-adoption",
  "rollout-template-release",
  // Header pinning closed by default (issue 23): the real API server validates the pin routes.
  "router-pinning",
  // Secrets: the markers searched in the real API server's Events and state ConfigMap too (decision 037).
  "secrets-audit",
  "operate-recorded-plan",
  // What a rollout says, with pods the real scheduler cannot place and the node cannot pull (issue 19.7).
  "rollout-output",
  // The guard (issue 20): every pass as the ServiceAccount of the Role `grayctl guard install` writes.
  "guard",
]
  .map((name) => `test/integration/${name}.test.ts`)
  // A router that applies weights late, through the real nginx under load (issue 12).
  .concat("test/real/rollout-router-lag.test.ts");

// guard: its 100 passes against live owners run with a 300 ms-per-request API
// only on the sandbox, whose fault injection the cluster run does not use.
export const SANDBOX_TOO = new Set(["test/integration/guard.test.ts"]);
