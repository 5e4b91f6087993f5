// Kubernetes label selectors: the string form used in `?labelSelector=` and the
// structured form used in Deployment/Service specs. Shared by the API, the
// controllers and the traffic layer so that all of them select pods alike.

export type Labels = Record<string, string> | undefined;

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[];
}

type Requirement =
  | { key: string; op: "=" | "!="; value: string }
  | { key: string; op: "in" | "notin"; values: string[] }
  | { key: string; op: "exists" | "!exists" };

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`. Throws on malformed input. */
export function parseSelector(selector: string | undefined): Requirement[] {
  if (!selector || selector.trim() === "") return [];
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of selector) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  return parts.map((raw) => {
    const part = raw.trim();
    const setMatch = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (setMatch) {
      const values = setMatch[3]
        .split(",")
        .map((v) => v.trim())
        .filter(Boolean);
      return { key: setMatch[1], op: setMatch[2] as "in" | "notin", values };
    }
    const eqMatch = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(part);
    if (eqMatch) return { key: eqMatch[1], op: eqMatch[2] === "!=" ? "!=" : "=", value: eqMatch[3] };
    const notExists = /^!\s*([\w./-]+)$/.exec(part);
    if (notExists) return { key: notExists[1], op: "!exists" };
    if (/^[\w./-]+$/.test(part)) return { key: part, op: "exists" };
    throw new Error(`unable to parse requirement: ${JSON.stringify(part)}`);
  });
}

export function matchesSelectorString(labels: Labels, selector: string | undefined): boolean {
  const have = labels ?? {};
  return parseSelector(selector).every((req) => {
    const value = have[req.key];
    switch (req.op) {
      case "=":
        return value === req.value;
      case "!=":
        return value !== req.value;
      case "in":
        return value !== undefined && req.values.includes(value);
      case "notin":
        return value === undefined || !req.values.includes(value);
      case "exists":
        return value !== undefined;
      case "!exists":
        return value === undefined;
      default:
        return false;
    }
  });
}

/** Structured selector; an empty selector matches everything, as in Kubernetes. */
export function matchesLabelSelector(labels: Labels, selector: LabelSelector | undefined): boolean {
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) {
    if (have[key] !== value) return false;
  }
  for (const expr of selector?.matchExpressions ?? []) {
    const value = have[expr.key];
    const values = expr.values ?? [];
    if (expr.operator === "In" && (value === undefined || !values.includes(value))) return false;
    if (expr.operator === "NotIn" && value !== undefined && values.includes(value)) return false;
    if (expr.operator === "Exists" && value === undefined) return false;
    if (expr.operator === "DoesNotExist" && value !== undefined) return false;
  }
  return true;
}

/** Service specs use a plain map: every key must match. */
export function matchesMap(labels: Labels, selector: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false; // a Service without selector selects nothing
  return matchesLabelSelector(labels, { matchLabels: selector });
}
