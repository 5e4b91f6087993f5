// `{{name}}` templates, shared by PromQL queries and web gates. Unknown
// variables are an error rather than left in place: a query sent with a
// literal `{{trak}}` would quietly match nothing and look like "no data".

export type Rendered = { ok: true; query: string } | { ok: false; why: string };

export function fillTemplate(
  template: string,
  values: Record<string, string>,
  encode: (value: string) => string = (value) => value,
): Rendered {
  const unknown = new Set<string>();
  const query = template.replace(/\{\{\s*([a-zA-Z_]+)\s*\}\}/g, (whole, name: string) => {
    if (Object.hasOwn(values, name)) return encode(values[name]);
    unknown.add(name);
    return whole;
  });
  if (unknown.size) return { ok: false, why: `unknown template variable(s): ${[...unknown].join(", ")}` };
  return { ok: true, query };
}
