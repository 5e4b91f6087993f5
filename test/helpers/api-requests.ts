// What an API request asks the authorizer for: (group, resource, verb), as RBAC
// rules name them. Shared by the suites that check requests against a Role.

/** (group, resource[/subresource], verb, name) of a resource request; undefined for discovery. */
export function classify(method: string, url: string) {
  const [path, query = ""] = url.split("?");
  const match = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)\/namespaces\/[^/]+\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?/.exec(
    path,
  );
  if (!match) return undefined;
  const [, group = "", resource, name, sub] = match;
  const subresource = sub ? `${resource}/${sub}` : resource;
  const watch = /(^|&)watch=(1|true)/.test(query);
  const verb = {
    GET: name ? "get" : watch ? "watch" : "list",
    POST: "create",
    PUT: "update",
    PATCH: "patch",
    DELETE: "delete",
  }[method];
  return { group, resource: subresource, verb: verb ?? method.toLowerCase(), name };
}
