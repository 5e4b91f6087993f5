// The /status and /scale subresources. /status writes change only status;
// /scale (autoscaling/v1 Scale, what `kubectl scale` uses) reads and writes a
// Deployment's or ReplicaSet's spec.replicas.
import { R } from "../resources.ts";
import type { KubeObject } from "../store.ts";
import { readParsedBody, requireObject } from "./body.ts";
import type { RequestContext } from "./context.ts";
import { patched } from "./handlers.ts";
import { applyPatch } from "./patch.ts";
import { apiError, badRequest, methodNotAllowed, notFoundPath, sendJson } from "./status.ts";

export async function handleStatus(ctx: RequestContext): Promise<void> {
  const { route, req, res, store } = ctx;
  const t = route.type;
  if (!t.statusSubresource) throw notFoundPath(req.url ?? "");
  const name = route.name as string;
  switch (req.method) {
    case "GET":
      return sendJson(res, 200, store.mustGet(t, route.namespace, name));
    case "PUT": {
      const obj = requireObject(await readParsedBody(req)) as KubeObject;
      obj.metadata.name ??= name;
      if (obj.metadata.name !== name) throw badRequest("the name of the object does not match the name on the URL");
      return sendJson(res, 200, store.update(t, route.namespace, obj, "status"));
    }
    case "PATCH": {
      const current = store.mustGet(t, route.namespace, name);
      const next = patched(t, req.headers["content-type"], current, await readParsedBody(req));
      return sendJson(res, 200, store.update(t, route.namespace, next, "status"));
    }
    default:
      throw methodNotAllowed(req.method ?? "", req.url ?? "");
  }
}

function scaleOf(obj: KubeObject) {
  const matchLabels: Record<string, string> = obj.spec?.selector?.matchLabels ?? {};
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: obj.spec?.replicas ?? 0 },
    status: {
      replicas: obj.status?.replicas ?? 0,
      selector: Object.entries(matchLabels)
        .map(([k, v]) => `${k}=${v}`)
        .join(","),
    },
  };
}

export async function handleScale(ctx: RequestContext): Promise<void> {
  const { route, req, res, store } = ctx;
  const t = route.type;
  if (t !== R.deployments && t !== R.replicasets) throw notFoundPath(req.url ?? "");
  const name = route.name as string;
  const current = store.mustGet(t, route.namespace, name);
  let wanted: { metadata?: { resourceVersion?: string }; spec?: { replicas?: unknown } };
  switch (req.method) {
    case "GET":
      return sendJson(res, 200, scaleOf(current));
    case "PUT":
      wanted = requireObject(await readParsedBody(req));
      break;
    case "PATCH": {
      const body = await readParsedBody(req);
      if (body === undefined) throw badRequest("the patch body is empty");
      // Scale is a built-in type, so every patch flavour applies to it.
      wanted = applyPatch(R.deployments, req.headers["content-type"], scaleOf(current), body) as typeof wanted;
      break;
    }
    default:
      throw methodNotAllowed(req.method ?? "", req.url ?? "");
  }
  const replicas = wanted.spec?.replicas;
  if (!Number.isInteger(replicas) || (replicas as number) < 0) {
    throw apiError(
      422,
      "Invalid",
      `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
    );
  }
  current.spec.replicas = replicas;
  current.metadata.resourceVersion = wanted.metadata?.resourceVersion || current.metadata.resourceVersion;
  return sendJson(res, 200, scaleOf(store.update(t, route.namespace, current)));
}
