// The objects that run `grayctl guard` in a namespace: a ServiceAccount, a
// Role with exactly what the guard uses, its RoleBinding and a CronJob running
// one pass on a schedule. templates/guard.yaml is this, for GitOps users (a
// test keeps the two equal).
export const GUARD_NAME = "grayctl-guard";
/** The ConfigMap each guard pass writes its time into, for `status` (never read by the guard itself). */
export const GUARD_RECORD = "grayctl-guard";

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

/**
 * What the guard does: list the namespace's state records, then for an orphaned rollout
 * everything a rollback or a resumed rollout does (templates/rbac.yaml's Role), and watch
 * and take the Lease.
 */
export const GUARD_RULES: Rule[] = [
  { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "create", "update"] },
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
  { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch", "create", "update", "patch"] },
  { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
  { apiGroups: [""], resources: ["pods/proxy"], verbs: ["get"] },
  { apiGroups: [""], resources: ["services"], verbs: ["get", "create"] },
  { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
  { apiGroups: [""], resources: ["events"], verbs: ["create"] },
  {
    apiGroups: ["autoscaling"],
    resources: ["horizontalpodautoscalers"],
    verbs: ["get", "list", "create", "update", "delete"],
  },
  { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: ["get", "list", "create", "patch"] },
  { apiGroups: ["networking.istio.io"], resources: ["virtualservices"], verbs: ["get", "create", "patch", "update"] },
  { apiGroups: ["gateway.networking.k8s.io"], resources: ["httproutes"], verbs: ["get", "create", "patch", "update"] },
];

export interface GuardInstall {
  namespace?: string;
  schedule: string;
  image: string;
}

// Kept in the objects' labels so that `status` can tell a guard watches the namespace.
const labels = { "app.kubernetes.io/name": GUARD_NAME, "app.kubernetes.io/managed-by": "grayctl" };

export function guardObjects(install: GuardInstall): Record<string, unknown>[] {
  const metadata = { name: GUARD_NAME, ...(install.namespace ? { namespace: install.namespace } : {}), labels };
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata },
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata, rules: GUARD_RULES },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata,
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: GUARD_NAME },
      subjects: [{ kind: "ServiceAccount", name: GUARD_NAME }],
    },
    {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata,
      spec: {
        schedule: install.schedule,
        // One pass at a time; a pass that overruns is not doubled (two at once would be safe, only wasteful).
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: 60,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          spec: {
            backoffLimit: 0,
            template: {
              metadata: { labels },
              spec: {
                serviceAccountName: GUARD_NAME,
                restartPolicy: "Never",
                containers: [
                  {
                    name: "guard",
                    image: install.image,
                    args: ["guard", "-o", "json"],
                    // Who acted, in the history and the Events (the image's user has no name).
                    env: [{ name: "GRAYCTL_ACTOR", value: GUARD_NAME }],
                    // A failed pass says why in `kubectl describe pod` (its last JSON line), not only in its log.
                    terminationMessagePolicy: "FallbackToLogsOnError",
                  },
                ],
              },
            },
          },
        },
      },
    },
  ];
}
