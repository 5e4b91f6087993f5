// Turns a request path into what it addresses: a resource collection or object,
// a subresource, or a proxy path. Kubernetes paths:
//   /api/v1[/namespaces/NS]/PLURAL[/NAME[/SUBRESOURCE[/REST]]]
//   /apis/GROUP/VERSION[/namespaces/NS]/PLURAL[/NAME[/SUBRESOURCE[/REST]]]
// `/api/v1/namespaces/NAME[/status|/finalize]` addresses a Namespace itself.
import { findType, R, type ResourceType } from "../resources.ts";
import { notFoundPath } from "./status.ts";

export interface ResourceRoute {
  type: ResourceType;
  group: string;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** What follows `proxy/` (with its leading slash), for the proxy subresource. */
  rest?: string;
}

/** undefined when the path is not a resource path at all (discovery, openapi, ...). */
export function parseResourcePath(pathname: string): ResourceRoute | undefined {
  // Raw segments; a trailing slash is kept only for the proxy remainder.
  const raw = pathname.split("/").slice(1);
  const segments = raw.filter((s) => s !== "");
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === "api" && segments.length >= 3) {
    group = "";
    version = segments[1];
    rest = segments.slice(2);
  } else if (segments[0] === "apis" && segments.length >= 4) {
    group = segments[1];
    version = segments[2];
    rest = segments.slice(3);
  } else {
    return undefined;
  }
  rest = rest.map(decodeURIComponent);
  const prefixLength = segments.length - rest.length;
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3 && rest[2] !== "status" && rest[2] !== "finalize") {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource] = rest;
  const type = findType(group, version, plural);
  if (!type) throw notFoundPath(pathname);
  if (namespace !== undefined && !type.namespaced) throw notFoundPath(pathname);
  const route: ResourceRoute = { type, group, version, namespace, name, subresource };
  if (subresource === "proxy") {
    // Keep the raw (still encoded) remainder so the target sees the path it was sent.
    const proxyIndex = prefixLength + (namespace !== undefined ? 2 : 0) + 2;
    route.rest = `/${raw.slice(proxyIndex + 1).join("/")}`;
  } else if (rest.length > 3) {
    throw notFoundPath(pathname);
  }
  if (type === R.namespaces && namespace !== undefined) throw notFoundPath(pathname);
  return route;
}
