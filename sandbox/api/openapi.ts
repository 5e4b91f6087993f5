// OpenAPI v3, just enough for kubectl: `kubectl apply` validates by default, and
// it does so on the server (sending fieldValidation=Strict) only if the OpenAPI
// document of the group version lists that query parameter on the PATCH
// operation of the kind. Without this, kubectl wants the full v2 schema and
// fails unless the user passes --validate=false. Schemas are left out: kubectl
// then computes strategic merge patches from its compiled-in types.
import { ALL_TYPES, apiVersionOf, type ResourceType } from "../resources.ts";

const HASH = "sandbox1";

const pathOf = (gv: string) => (gv.includes("/") ? `apis/${gv}` : `api/${gv}`);

export function openApiRoot() {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const t of ALL_TYPES) {
    const path = pathOf(apiVersionOf(t));
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${HASH}` };
  }
  return { paths };
}

function operations(t: ResourceType) {
  const gvk = { group: t.group, version: t.version, kind: t.kind };
  const param = (name: string) => ({ name, in: "query", schema: { type: "string", uniqueItems: true } });
  const write = {
    "x-kubernetes-group-version-kind": gvk,
    parameters: [param("dryRun"), param("fieldManager"), param("fieldValidation")],
    responses: { "200": { description: "OK" } },
  };
  return {
    get: { "x-kubernetes-group-version-kind": gvk, responses: { "200": { description: "OK" } } },
    put: write,
    patch: { ...write, parameters: [...write.parameters, { name: "force", in: "query", schema: { type: "boolean" } }] },
  };
}

/** The OpenAPI v3 document of one group version ("api/v1", "apis/apps/v1"), or undefined. */
export function openApiGroupVersion(path: string) {
  const types = ALL_TYPES.filter((t) => pathOf(apiVersionOf(t)) === path);
  if (types.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const t of types) {
    const base = t.namespaced ? `/${path}/namespaces/{namespace}/${t.plural}` : `/${path}/${t.plural}`;
    paths[`${base}/{name}`] = operations(t);
  }
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes (grayctl sandbox)", version: "v1.32.0" },
    paths,
    components: { schemas: {} },
  };
}
