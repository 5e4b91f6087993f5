// Server-side printing: kubectl asks for `as=Table` and prints whatever columns
// the server sends, so without this every type shows only NAME and AGE (kubectl's
// client-side fallback for plain objects). The columns live in table-columns.ts.
import type { IncomingMessage } from "node:http";
import { apiVersionOf, type ResourceType } from "../resources.ts";
import type { KubeObject } from "../store.ts";
import { columnsFor } from "./table-columns.ts";

/** The Table version asked for in Accept (kubectl offers v1 then v1beta1), or undefined for plain JSON. */
export function tableVersion(req: IncomingMessage): string | undefined {
  for (const entry of String(req.headers.accept ?? "").split(",")) {
    const params = new Map(
      entry
        .split(";")
        .slice(1)
        .map((p) => p.trim().split("=") as [string, string]),
    );
    const version = params.get("v");
    if (
      params.get("as") === "Table" &&
      params.get("g") === "meta.k8s.io" &&
      (version === "v1" || version === "v1beta1")
    )
      return version;
  }
  return undefined;
}

/** The objects as a Table when the request asked for one, else undefined (answer the objects). */
export function tableFor(
  req: IncomingMessage,
  query: URLSearchParams,
  t: ResourceType,
  objects: KubeObject[],
  resourceVersion: string | undefined,
) {
  const version = tableVersion(req);
  if (!version) return undefined;
  const columns = columnsFor(t);
  const include = query.get("includeObject") ?? "Metadata";
  const now = Date.now();
  return {
    kind: "Table",
    apiVersion: `meta.k8s.io/${version}`,
    metadata: { resourceVersion },
    columnDefinitions: columns.map(({ name, type, format, priority }) => ({
      name,
      type,
      format,
      description: name,
      priority,
    })),
    rows: objects.map((obj) => ({
      cells: columns.map((c) => c.cell(obj, now)),
      // kubectl reads namespace and labels (-A, --show-labels) from the row's object.
      object:
        include === "None"
          ? undefined
          : include === "Object"
            ? { apiVersion: apiVersionOf(t), kind: t.kind, ...obj }
            : { kind: "PartialObjectMetadata", apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata },
    })),
  };
}
