// The Deployment controller: one ReplicaSet per pod template (named by its
// pod-template-hash), a rolling update bounded by maxSurge/maxUnavailable or a
// Recreate, revision numbering, history cleanup, and status.
import { R } from "../resources.ts";
import type { KubeObject, Store } from "../store.ts";
import { writeDeploymentStatus } from "./deployment-status.ts";
import { podTemplateHash } from "./hash.ts";
import { controllerRef, isOwnedBy } from "./pods.ts";
import { REVISION_ANNOTATION, revisionOf, scaleReplicaSet, viewOf } from "./replicaset-view.ts";
import { maxScaledDown, newReplicaSetReplicas, resolveSurgeAndUnavailable } from "./rollout-math.ts";

const byAge = (a: KubeObject, b: KubeObject) =>
  Date.parse(a.metadata.creationTimestamp ?? "") - Date.parse(b.metadata.creationTimestamp ?? "") ||
  (a.metadata.name ?? "").localeCompare(b.metadata.name ?? "");

function createReplicaSet(store: Store, deploy: KubeObject, hash: string, revision: number): KubeObject {
  const template = structuredClone(deploy.spec.template ?? {});
  template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, "pod-template-hash": hash } };
  const selector = structuredClone(deploy.spec.selector ?? {});
  selector.matchLabels = { ...selector.matchLabels, "pod-template-hash": hash };
  return store.create(R.replicasets, deploy.metadata.namespace, {
    metadata: {
      name: `${deploy.metadata.name}-${hash}`,
      labels: { ...template.metadata.labels },
      annotations: {
        [REVISION_ANNOTATION]: String(revision),
        "deployment.kubernetes.io/desired-replicas": String(deploy.spec.replicas ?? 1),
      },
      ownerReferences: [controllerRef(deploy)],
    },
    spec: { replicas: 0, minReadySeconds: deploy.spec.minReadySeconds ?? 0, selector, template },
  });
}

export function reconcileDeployment(store: Store, deploy: KubeObject, now: number): void {
  if (deploy.metadata.deletionTimestamp) return;
  const namespace = deploy.metadata.namespace;
  const replicas = deploy.spec?.replicas ?? 1;
  const minReady = deploy.spec?.minReadySeconds ?? 0;
  const owned = () =>
    store
      .list(R.replicasets, namespace)
      .filter((rs) => isOwnedBy(rs, deploy))
      .sort(byAge);
  const hash = podTemplateHash(deploy.spec?.template ?? {});
  let newRS = owned().find((rs) => rs.metadata.labels?.["pod-template-hash"] === hash);
  let createdNew = false;
  if (!deploy.spec?.paused) {
    const maxRevision = Math.max(0, ...owned().map(revisionOf));
    if (!newRS) {
      newRS = createReplicaSet(store, deploy, hash, maxRevision + 1);
      createdNew = true;
    } else if (revisionOf(newRS) < maxRevision) {
      // Going back to an older template makes it the newest revision, as `kubectl rollout undo` expects.
      newRS = store.mutate(R.replicasets, namespace, newRS.metadata.name ?? "", (rs) => {
        rs.metadata.annotations = { ...rs.metadata.annotations, [REVISION_ANNOTATION]: String(maxRevision + 1) };
      });
    }
    const revision = String(revisionOf(newRS!));
    if (deploy.metadata.annotations?.[REVISION_ANNOTATION] !== revision) {
      store.mutate(R.deployments, namespace, deploy.metadata.name ?? "", (d) => {
        d.metadata.annotations = { ...d.metadata.annotations, [REVISION_ANNOTATION]: revision };
      });
    }
  }
  const current = newRS;
  const olds = () => owned().filter((rs) => rs.metadata.uid !== current?.metadata.uid);
  if (deploy.spec?.paused) {
    // Paused: scaling still works, a new template is not rolled out.
    const withReplicas = owned().filter((rs) => (rs.spec?.replicas ?? 0) > 0);
    const only = withReplicas.length === 1 ? withReplicas[0] : current;
    if (only && (only.spec?.replicas ?? 0) !== replicas && withReplicas.length <= 1)
      scaleReplicaSet(store, only, replicas, now);
  } else if (deploy.spec?.strategy?.type === "Recreate") {
    recreate(store, current!, olds(), replicas, now, minReady);
  } else {
    rollingUpdate(store, deploy, current!, olds, replicas, now, minReady);
  }
  cleanupHistory(store, olds(), deploy.spec?.revisionHistoryLimit ?? 10);
  writeDeploymentStatus(store, deploy, owned(), current, { createdNew, now });
}

function recreate(
  store: Store,
  newRS: KubeObject,
  olds: KubeObject[],
  replicas: number,
  now: number,
  minReady: number,
): void {
  for (const rs of olds) if ((rs.spec?.replicas ?? 0) > 0) scaleReplicaSet(store, rs, 0, now);
  // Recreate means no old pod runs, terminating ones included, when the new ones start.
  if (olds.some((rs) => viewOf(store, rs, minReady, now).existing > 0)) return;
  if ((newRS.spec?.replicas ?? 0) !== replicas) scaleReplicaSet(store, newRS, replicas, now);
}

function rollingUpdate(
  store: Store,
  deploy: KubeObject,
  initialNew: KubeObject,
  olds: () => KubeObject[],
  replicas: number,
  now: number,
  minReady: number,
): void {
  const { maxSurge, maxUnavailable } = resolveSurgeAndUnavailable(deploy.spec?.strategy?.rollingUpdate, replicas);
  let newRS = initialNew;
  const total = () => olds().reduce((sum, rs) => sum + (rs.spec?.replicas ?? 0), newRS.spec?.replicas ?? 0);
  const newDesired = newRS.spec?.replicas ?? 0;
  if (newDesired > replicas) newRS = scaleReplicaSet(store, newRS, replicas, now);
  else if (newDesired < replicas) {
    const wanted = newReplicaSetReplicas(replicas, maxSurge, total(), newDesired);
    if (wanted !== newDesired) newRS = scaleReplicaSet(store, newRS, wanted, now);
  }
  const newView = viewOf(store, newRS, minReady, now);
  let budget = maxScaledDown(total(), replicas, maxUnavailable, newView.desired - newView.available);
  if (budget <= 0) return;
  // First old pods that are not available anyway: removing them costs no availability.
  for (const rs of olds()) {
    const view = viewOf(store, rs, minReady, now);
    const unhealthy = Math.min(budget, view.desired - view.available);
    if (unhealthy <= 0) continue;
    scaleReplicaSet(store, rs, view.desired - unhealthy, now);
    budget -= unhealthy;
    if (budget <= 0) break;
  }
  const minAvailable = replicas - maxUnavailable;
  const views = [...olds(), newRS].map((rs) => viewOf(store, rs, minReady, now));
  let removable = views.reduce((sum, v) => sum + v.available, 0) - minAvailable;
  for (const view of views.slice(0, -1)) {
    if (removable <= 0) break;
    const down = Math.min(view.desired, removable);
    if (down <= 0) continue;
    scaleReplicaSet(store, view.rs, view.desired - down, now);
    removable -= down;
  }
}

function cleanupHistory(store: Store, olds: KubeObject[], limit: number): void {
  const idle = olds.filter((rs) => (rs.spec?.replicas ?? 0) === 0 && (rs.status?.replicas ?? 0) === 0);
  const excess = idle.length - limit;
  for (const rs of idle.sort((a, b) => revisionOf(a) - revisionOf(b)).slice(0, Math.max(0, excess))) {
    store.delete(R.replicasets, rs.metadata.namespace, rs.metadata.name ?? "");
  }
}
