// The parts of an HTTPRoute's `rules` that grayctl owns, as pure functions of
// the current rules: with traffic.pin, one rule sending `<header>: <secret>` to
// the canary Service; and the weights of the stable and canary backendRefs in
// the app's weighted rule. Every other rule, and every other field of the
// weighted rule, is the team's and is kept as it is — except open pins
// (`x-canary: always|never`, written by older versions), which anyone could send
// and are removed. Rule order does not decide precedence in Gateway API (a rule
// with more header matches wins on the same path), but the pin rule goes just
// before the weighted rule for the reader.
import { UsageError } from "../errors.ts";
import { isOpenPinMatch, isPinMatch } from "./pin.ts";
import type { Split } from "./route-object.ts";

interface HeaderMatch {
  type?: string;
  name: string;
  value: string;
}
interface RouteMatch {
  path?: { type?: string; value?: string };
  headers?: HeaderMatch[];
  [field: string]: unknown;
}
interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  [field: string]: unknown;
}
export interface RouteRule {
  matches?: RouteMatch[];
  backendRefs?: BackendRef[];
  [field: string]: unknown;
}
export interface HttpRouteSpec {
  hostnames?: string[];
  parentRefs?: { name: string; [field: string]: unknown }[];
  rules?: RouteRule[];
  [field: string]: unknown;
}

type Track = "stable" | "canary";

function trackOf(ref: BackendRef, split: Split): Track | undefined {
  if ((ref.group ?? "") !== "" || (ref.kind ?? "Service") !== "Service") return undefined;
  if ((ref.namespace ?? split.namespace) !== split.namespace) return undefined;
  return ref.name === split.stable ? "stable" : ref.name === split.canary ? "canary" : undefined;
}

const isExact = (h: HeaderMatch) => (h.type ?? "Exact") === "Exact";

/** Whether every match of a rule carries an exact header match for which `test` holds. */
function everyMatchHas(rule: RouteRule, test: (name: string, value: string) => boolean): boolean {
  const matches = rule.matches ?? [];
  return matches.length > 0 && matches.every((m) => (m.headers ?? []).some((h) => isExact(h) && test(h.name, h.value)));
}

/** A rule that pins (grayctl's, an open one of an older version, or an equivalent the team wrote): rebuilt, never kept twice. */
function isPinRule(rule: RouteRule, split: Split): boolean {
  return everyMatchHas(rule, (name, value) => isPinMatch(name, value, split.pin));
}

/** The app's weighted rule: the first rule, other than the header rules, to either track (-1: none). */
function findWeightedRule(rules: RouteRule[], split: Split): number {
  return rules.findIndex(
    (r) => !isPinRule(r, split) && (r.backendRefs ?? []).some((b) => trackOf(b, split) !== undefined),
  );
}

/** The weighted rule, or a usage error naming what grayctl cannot split in an adopted HTTPRoute. */
function weightedRuleIndex(rules: RouteRule[], split: Split): number {
  const index = findWeightedRule(rules, split);
  if (index < 0) {
    throw new UsageError(
      `no rule of the HTTPRoute sends traffic to ${split.stable}`,
      `Add a rule with backendRef ${split.stable} where the app's traffic should be split, or delete the HTTPRoute and let grayctl create it.`,
    );
  }
  const foreign = (rules[index].backendRefs ?? []).filter((b) => trackOf(b, split) === undefined);
  if (foreign.length > 0) {
    throw new UsageError(
      `the HTTPRoute rule to ${split.stable} also sends traffic to ${foreign.map((b) => b.name).join(", ")}: grayctl splits only a rule of its two Services`,
      `Give ${split.stable} a rule of its own.`,
    );
  }
  return index;
}

/**
 * The canary's share in percent: Gateway API weights are proportional (a missing
 * weight is 1); 0 when no rule sends traffic to the app's tracks.
 */
export function canaryWeightOf(rules: RouteRule[], split: Split): number {
  const index = findWeightedRule(rules, split);
  if (index < 0) return 0;
  const refs = rules[index].backendRefs ?? [];
  const canary = refs.filter((b) => trackOf(b, split) === "canary").reduce((sum, b) => sum + (b.weight ?? 1), 0);
  const total = refs.reduce((sum, b) => sum + (b.weight ?? 1), 0);
  return total === 0 ? 0 : Math.round((1000 * canary) / total) / 10;
}

/**
 * The rules with grayctl's parts in place and the canary at `weight` percent
 * (undefined: keep the weights the rules have now). Weights are written as percentages.
 */
export function withCanaryWeight(rules: RouteRule[], split: Split, weight?: number): RouteRule[] {
  const weighted = rules[weightedRuleIndex(rules, split)];
  const existing = (track: Track) => weighted.backendRefs?.find((b) => trackOf(b, split) === track);
  // A missing backendRef is modelled on the other one (same port).
  const ref = (track: Track): BackendRef => ({
    ...(existing(track) ?? { ...existing(track === "stable" ? "canary" : "stable"), name: split[track] }),
  });
  // Without a weight the team's proportions stay as written (2:1 is not rewritten as 66.7:33.3,
  // which the API would refuse: weights are integers); a missing backendRef joins at 0.
  const kept = (track: Track) => {
    const own = existing(track);
    return own ? (own.weight ?? 1) : 0;
  };
  const backendRefs = [
    { ...ref("stable"), weight: weight === undefined ? kept("stable") : 100 - weight },
    { ...ref("canary"), weight: weight === undefined ? kept("canary") : weight },
  ];
  const pins = pinRules(rules, split, weighted, ref("canary"));
  const rest = rules.filter((r) => !isPinRule(r, split));
  return rest.flatMap((r) => (r === weighted ? [...pins, { ...r, backendRefs }] : [r]));
}

/**
 * The pin rule: the weighted rule's own conditions plus the secret header (it
 * pins only requests the app would get). None without traffic.pin; without the
 * secret at hand (its variable unset here), the pin rules there are kept as they
 * are, open ones excepted.
 */
function pinRules(rules: RouteRule[], split: Split, weighted: RouteRule, canary: BackendRef): RouteRule[] {
  const pin = split.pin;
  if (!pin) return [];
  if (pin.value === undefined)
    return rules.filter(
      (r) => isPinRule(r, split) && !everyMatchHas(r, (name, value) => isOpenPinMatch(name, value, pin)),
    );
  const value = pin.value;
  return [
    {
      matches: (weighted.matches?.length ? weighted.matches : [{ path: { type: "PathPrefix", value: "/" } }]).map(
        (m) => ({
          ...m,
          headers: [
            ...(m.headers ?? []).filter((h) => h.name.toLowerCase() !== pin.header.toLowerCase()),
            { type: "Exact", name: pin.header, value },
          ],
        }),
      ),
      // weight 1 written out: the API server defaults it, and a defaulted field must not look like a change.
      backendRefs: [{ ...canary, weight: 1 }],
    },
  ];
}

/** The rules of an HTTPRoute grayctl creates: everything under traffic.path, all to stable. */
export function initialRules(split: Split, path: string): RouteRule[] {
  const weighted: RouteRule = {
    matches: [{ path: { type: "PathPrefix", value: path } }],
    backendRefs: [{ name: split.stable, port: 80, weight: 100 }],
  };
  return withCanaryWeight([weighted], split, 0);
}
