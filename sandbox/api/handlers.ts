// CRUD on collections and objects: list/watch/create/deletecollection on a
// collection, get/replace/patch/delete on an object. Writes go through the
// Store, which owns resourceVersion, conflicts and generation.
import { R, apiVersionOf, type ResourceType } from "../resources.ts";
import type { KubeObject, Store } from "../store.ts";
import { markPodTerminating } from "../controllers/terminating.ts";
import { HOST_PORTS_ANNOTATION } from "../endpoints.ts";
import { isPlainObject, readParsedBody, requireObject } from "./body.ts";
import type { RequestContext } from "./context.ts";
import { applyDefaults } from "./defaults.ts";
import { APPLY_PATCH, applyPatch, mediaType, mergePatch } from "./patch.ts";
import { checkLabelSelector, matchesFields, parseFieldSelector } from "./selectors.ts";
import { apiError, badRequest, methodNotAllowed, sendJson, successStatus } from "./status.ts";
import { strategicMerge } from "./strategic.ts";
import { tableFor } from "./table.ts";
import { serveWatch } from "./watch.ts";

/** Types whose DELETE answers the deleted object rather than a Status, as in Kubernetes. */
const RETURNS_DELETED_OBJECT = new Set<ResourceType>([R.pods, R.namespaces]);

const isWatch = (query: URLSearchParams) => query.get("watch") === "1" || query.get("watch") === "true";

export async function handleCollection(ctx: RequestContext): Promise<void> {
  const { route, query, req, res, store } = ctx;
  const labelSelector = checkLabelSelector(query.get("labelSelector"));
  switch (req.method) {
    case "GET":
      if (isWatch(query)) {
        parseFieldSelector(query.get("fieldSelector")); // a bad selector must fail before the stream starts
        serveWatch(store, ctx.history, req, res, {
          type: route.type,
          namespace: route.namespace,
          labelSelector,
          query,
        });
        return;
      }
      {
        const list = listOf(store, route.type, route.namespace, labelSelector, query.get("fieldSelector"));
        const table = tableFor(req, query, route.type, list.items, list.metadata.resourceVersion);
        return sendJson(res, 200, table ?? list);
      }
    case "POST": {
      const obj = requireObject(await readParsedBody(req)) as KubeObject;
      checkIdentity(route.type, obj, route.namespace);
      ensureNamespace(store, route.type, route.namespace);
      applyDefaults(route.type, obj);
      if (query.has("dryRun"))
        return sendJson(res, 201, { ...obj, apiVersion: apiVersionOf(route.type), kind: route.type.kind });
      return sendJson(res, 201, store.create(route.type, route.namespace, obj));
    }
    case "DELETE": {
      const fields = parseFieldSelector(query.get("fieldSelector"));
      for (const obj of store.list(route.type, route.namespace, labelSelector)) {
        if (matchesFields(obj, fields)) deleteWithDependents(store, route.type, obj, "Background");
      }
      return sendJson(res, 200, successStatus({ kind: route.type.plural, group: route.type.group }));
    }
    default:
      throw methodNotAllowed(req.method ?? "", req.url ?? "");
  }
}

export function listOf(
  store: Store,
  t: ResourceType,
  namespace: string | undefined,
  labelSelector?: string,
  fieldSelector?: string | null,
) {
  const fields = parseFieldSelector(fieldSelector);
  return {
    apiVersion: apiVersionOf(t),
    kind: `${t.kind}List`,
    metadata: { resourceVersion: store.resourceVersion },
    items: store.list(t, namespace, labelSelector).filter((obj) => matchesFields(obj, fields)),
  };
}

export async function handleObject(ctx: RequestContext): Promise<void> {
  const { route, query, req, res, store } = ctx;
  const t = route.type;
  const name = route.name as string;
  const dryRun = query.has("dryRun");
  switch (req.method) {
    case "GET": {
      const obj = store.mustGet(t, route.namespace, name);
      return sendJson(res, 200, tableFor(req, query, t, [obj], obj.metadata.resourceVersion) ?? obj);
    }
    case "PUT": {
      const obj = requireObject(await readParsedBody(req)) as KubeObject;
      checkIdentity(t, obj, route.namespace, name);
      applyDefaults(t, obj);
      if (dryRun) return sendJson(res, 200, { ...store.mustGet(t, route.namespace, name), ...obj });
      return sendJson(res, 200, store.update(t, route.namespace, obj));
    }
    case "PATCH": {
      const patch = await readParsedBody(req);
      const current = store.get(t, route.namespace, name);
      if (mediaType(req.headers["content-type"]) === APPLY_PATCH) {
        return serverSideApply(ctx, current, patch);
      }
      const existing = current ?? store.mustGet(t, route.namespace, name); // NotFound when absent
      const next = patched(t, req.headers["content-type"], existing, patch);
      if (dryRun) return sendJson(res, 200, next);
      return sendJson(res, 200, store.update(t, route.namespace, next));
    }
    case "DELETE": {
      const options = await readParsedBody(req);
      const current = store.mustGet(t, route.namespace, name);
      const preconditions = isPlainObject(options) && isPlainObject(options.preconditions) ? options.preconditions : {};
      if (preconditions.uid && preconditions.uid !== current.metadata.uid) {
        throw apiError(
          409,
          "Conflict",
          `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${current.metadata.uid}`,
        );
      }
      if (preconditions.resourceVersion && preconditions.resourceVersion !== current.metadata.resourceVersion) {
        throw apiError(
          409,
          "Conflict",
          `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
        );
      }
      if (dryRun) return sendJson(res, 200, current);
      const policy = String(
        (isPlainObject(options) && options.propagationPolicy) || query.get("propagationPolicy") || "Background",
      );
      const fromBody = isPlainObject(options) ? options.gracePeriodSeconds : undefined;
      const grace = Number(fromBody ?? query.get("gracePeriodSeconds") ?? Number.NaN);
      if (t === R.pods && current.metadata.annotations?.[HOST_PORTS_ANNOTATION] && grace !== 0) {
        // A running pod is deleted gracefully, as by a kubelet: Terminating first, removed by the runtime.
        markPodTerminating(store, current.metadata.namespace ?? "default", name);
        return sendJson(res, 200, store.get(t, current.metadata.namespace, name) ?? current);
      }
      const gone = deleteWithDependents(store, t, current, policy);
      if (RETURNS_DELETED_OBJECT.has(t)) return sendJson(res, 200, gone);
      return sendJson(res, 200, successStatus({ name, group: t.group, kind: t.plural, uid: current.metadata.uid }));
    }
    default:
      throw methodNotAllowed(req.method ?? "", req.url ?? "");
  }
}

/** The object after a JSON/merge/strategic patch, with the server-owned identity kept. */
export function patched(
  t: ResourceType,
  contentType: string | undefined,
  current: KubeObject,
  patch: unknown,
): KubeObject {
  if (patch === undefined) throw badRequest("the patch body is empty");
  const next = applyPatch(t, contentType, current, patch);
  if (!isPlainObject(next) || !isPlainObject(next.metadata))
    throw apiError(422, "Invalid", "the patched object has no metadata");
  const obj = next as KubeObject;
  if (obj.metadata.name !== current.metadata.name) {
    throw apiError(
      422,
      "Invalid",
      `${t.kind} "${current.metadata.name}" is invalid: metadata.name: Invalid value: field is immutable`,
    );
  }
  obj.metadata.namespace = current.metadata.namespace;
  // A resourceVersion in the patch is a precondition; without one the patch applies to what is stored now.
  obj.metadata.resourceVersion ??= current.metadata.resourceVersion;
  return applyDefaults(t, obj);
}

/** Server-side apply, simplified: create if absent, else merge (strategic for built-in types). No field ownership. */
function serverSideApply(ctx: RequestContext, current: KubeObject | undefined, body: unknown): void {
  const { route, query, res, store } = ctx;
  if (!query.get("fieldManager"))
    throw badRequest("PATCH, application/apply-patch+yaml: fieldManager is required for apply requests");
  const obj = requireObject(body) as KubeObject;
  checkIdentity(route.type, obj, route.namespace, route.name);
  if (!current) {
    ensureNamespace(store, route.type, route.namespace);
    sendJson(res, 201, store.create(route.type, route.namespace, applyDefaults(route.type, obj)));
    return;
  }
  delete obj.metadata.resourceVersion;
  const merged = (route.type.builtin ? strategicMerge(current, obj) : mergePatch(current, obj)) as KubeObject;
  sendJson(res, 200, store.update(route.type, route.namespace, applyDefaults(route.type, merged)));
}

/** The body must address the same object as the URL. */
function checkIdentity(t: ResourceType, obj: KubeObject, namespace: string | undefined, name?: string): void {
  const apiVersion = apiVersionOf(t);
  if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersion) {
    throw badRequest(
      `the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersion})`,
    );
  }
  if (obj.kind !== undefined && obj.kind !== t.kind) {
    throw badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${t.kind})`);
  }
  if (t.namespaced && obj.metadata.namespace !== undefined && obj.metadata.namespace !== namespace) {
    throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
  if (name !== undefined) {
    if (obj.metadata.name === undefined) obj.metadata.name = name;
    if (obj.metadata.name !== name) throw badRequest("the name of the object does not match the name on the URL");
  }
}

/** Kubernetes refuses objects in a namespace that does not exist. */
export function ensureNamespace(store: Store, t: ResourceType, namespace: string | undefined): void {
  if (!t.namespaced || namespace === undefined) return;
  if (!store.get(R.namespaces, undefined, namespace)) {
    throw apiError(404, "NotFound", `namespaces "${namespace}" not found`, { name: namespace, kind: "namespaces" });
  }
}

/**
 * Deletes an object and, unless orphaning, what it owns (the garbage collector's
 * job in Kubernetes, done at once here): a Deployment takes its ReplicaSets and
 * their Pods along, a Namespace everything in it.
 */
export function deleteWithDependents(store: Store, t: ResourceType, obj: KubeObject, policy: string): KubeObject {
  const gone = store.delete(t, obj.metadata.namespace, obj.metadata.name as string);
  if (policy === "Orphan") return gone;
  if (t === R.namespaces) {
    for (const other of Object.values(R)) {
      if (!other.namespaced) continue;
      for (const child of store.list(other, obj.metadata.name)) deleteWithDependents(store, other, child, policy);
    }
    return gone;
  }
  for (const other of Object.values(R)) {
    if (!other.namespaced) continue;
    for (const child of store.list(other, obj.metadata.namespace)) {
      if (child.metadata.ownerReferences?.some((ref) => ref.uid === obj.metadata.uid)) {
        if (store.get(other, child.metadata.namespace, child.metadata.name as string))
          deleteWithDependents(store, other, child, policy);
      }
    }
  }
  return gone;
}
