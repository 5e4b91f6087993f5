// Strategic merge patch: the subset of Kubernetes' patch strategies that the
// sandbox's built-in types need. Lists with a merge key (containers by name,
// container ports by containerPort, ...) merge element-wise; other lists are
// replaced. Directives: `$patch: replace|delete|merge`, `$retainKeys`,
// `$setElementOrder/FIELD`, `$deleteFromPrimitiveList/FIELD`; null deletes.
type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (value: Json): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** patchMergeKey of list fields, by field name (and, for `ports`, by where the list sits). */
function mergeKeyOf(path: string[]): string | undefined {
  const field = path[path.length - 1];
  switch (field) {
    case "containers":
    case "initContainers":
    case "ephemeralContainers":
    case "volumes":
    case "env":
    case "imagePullSecrets":
      return "name";
    case "volumeMounts":
      return "mountPath";
    case "volumeDevices":
      return "devicePath";
    case "conditions":
      return "type";
    case "ownerReferences":
      return "uid";
    case "hostAliases":
      return "ip";
    case "topologySpreadConstraints":
      return "topologyKey";
    case "ports": {
      const inContainer = path.some((p) => p === "containers" || p === "initContainers" || p === "ephemeralContainers");
      return inContainer ? "containerPort" : "port";
    }
    default:
      return undefined;
  }
}

/** Lists of scalars that merge as sets (patchStrategy "merge" without a key). */
const PRIMITIVE_MERGE_LISTS = new Set(["finalizers"]);

export function strategicMerge(original: Json, patch: JsonObject): Json {
  return mergeMap(isObject(original) ? original : {}, patch, []) ?? {};
}

function mergeMap(original: JsonObject, patch: JsonObject, path: string[]): JsonObject | undefined {
  const directive = patch.$patch;
  if (directive === "delete") return undefined;
  if (directive === "replace") {
    const replaced = structuredClone(patch);
    delete replaced.$patch;
    return stripDirectives(replaced) as JsonObject;
  }
  const result: JsonObject = structuredClone(original);
  const orders: [string, Json[]][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === "$patch" || key === "$retainKeys") continue;
    if (key.startsWith("$setElementOrder/")) {
      if (Array.isArray(value)) orders.push([key.slice("$setElementOrder/".length), value]);
      continue;
    }
    if (key.startsWith("$deleteFromPrimitiveList/")) {
      const field = key.slice("$deleteFromPrimitiveList/".length);
      const drop = new Set((Array.isArray(value) ? value : []).map((v) => JSON.stringify(v)));
      if (Array.isArray(result[field]))
        result[field] = (result[field] as Json[]).filter((v) => !drop.has(JSON.stringify(v)));
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    const childPath = [...path, key];
    if (isObject(value)) {
      const merged = mergeMap(isObject(result[key]) ? (result[key] as JsonObject) : {}, value, childPath);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else if (Array.isArray(value)) {
      result[key] = mergeList(Array.isArray(result[key]) ? (result[key] as Json[]) : [], value, childPath);
    } else {
      result[key] = value;
    }
  }
  for (const [field, order] of orders) {
    if (Array.isArray(result[field]))
      result[field] = reorder(result[field] as Json[], order, mergeKeyOf([...path, field]));
  }
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as string[]);
    for (const key of Object.keys(result)) if (!keep.has(key)) delete result[key];
  }
  return result;
}

function mergeList(original: Json[], patch: Json[], path: string[]): Json[] {
  const field = path[path.length - 1];
  if (patch.some((item) => isObject(item) && item.$patch === "replace")) {
    return patch.filter((item) => !(isObject(item) && item.$patch === "replace")).map(stripDirectives);
  }
  if (PRIMITIVE_MERGE_LISTS.has(field)) {
    const seen = new Set(original.map((v) => JSON.stringify(v)));
    return [...original, ...patch.filter((v) => !seen.has(JSON.stringify(v)))];
  }
  const key = mergeKeyOf(path);
  if (!key || !patch.every(isObject)) return patch.map(stripDirectives);
  const result: Json[] = structuredClone(original);
  for (const item of patch as JsonObject[]) {
    const index = result.findIndex((existing) => isObject(existing) && existing[key] === item[key]);
    if (item.$patch === "delete") {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index >= 0) {
      const merged = mergeMap(result[index] as JsonObject, item, path);
      if (merged === undefined) result.splice(index, 1);
      else result[index] = merged;
    } else {
      result.push(stripDirectives(item));
    }
  }
  return result;
}

/** Elements named in `$setElementOrder` come first, in that order; the rest keep theirs. */
function reorder(list: Json[], order: Json[], key: string | undefined): Json[] {
  const identity = (item: Json) => (key && isObject(item) ? JSON.stringify(item[key]) : JSON.stringify(item));
  const rank = new Map(order.map((item, index) => [identity(item), index]));
  return list
    .map((item, index) => ({ item, index, rank: rank.get(identity(item)) ?? order.length + index }))
    .sort((a, b) => a.rank - b.rank)
    .map((entry) => entry.item);
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  const result: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith("$")) continue;
    if (v === null) continue;
    result[k] = stripDirectives(v);
  }
  return result;
}
