// Fault injection for tests: rules that make a fraction of API requests fail the
// way a real, stressed API server fails (500, 429 with Retry-After, 409, slow
// answers, reset connections, no answer at all), with counters so a test can assert what clients
// actually saw. A seed makes the random draws repeatable.

import { seededRandom } from "../src/analysis/random.ts";

export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete" | "deletecollection" | "proxy";

export type FaultAction =
  | { type: "error"; code: 500 | 503 }
  | { type: "throttle"; retryAfterSeconds: number }
  | { type: "conflict" }
  | { type: "latency"; ms: number }
  | { type: "reset" }
  /**
   * A network partition: the request gets no answer until `until` (ms since
   * the epoch), then it is served late, as after the partition heals — unless
   * the client gave up first (its connection closed), when it is dropped.
   */
  | { type: "hang"; until: number };

export interface FaultRule {
  /** Name used in the counters; defaults to the rule's index. */
  name?: string;
  /** Verbs of resource requests; omitted matches every request (discovery included). */
  verbs?: Verb[];
  /** Regular expression tested against the request path (without the query string). */
  path?: string | RegExp;
  action: FaultAction;
  /** 0..1, default 1. */
  probability?: number;
  /** Stop after this many injections. */
  limit?: number;
}

export interface FaultRequest {
  verb: Verb | "discovery";
  path: string;
}

// One seeded generator for the whole project (mulberry32), shared with the simulation.
export { seededRandom };

export class Faults {
  private rules: FaultRule[] = [];
  private random: () => number;
  /** Injections so far, by rule name. */
  readonly injected = new Map<string, number>();
  /** Requests that matched a rule's verbs/path (injected or not), by rule name. */
  readonly matched = new Map<string, number>();

  constructor(rules: FaultRule[] = [], seed?: number) {
    this.random = seed === undefined ? Math.random : seededRandom(seed);
    this.set(rules, seed);
  }

  /** Replaces all rules and resets the counters; a seed restarts the random sequence. */
  set(rules: FaultRule[], seed?: number): void {
    for (const rule of rules) validateRule(rule);
    this.rules = rules.map((rule, index) => ({ ...rule, name: rule.name ?? String(index) }));
    if (seed !== undefined) this.random = seededRandom(seed);
    this.injected.clear();
    this.matched.clear();
  }

  clear(): void {
    this.set([]);
  }

  /** Total injections, or those of one rule. */
  count(name?: string): number {
    if (name !== undefined) return this.injected.get(name) ?? 0;
    let total = 0;
    for (const n of this.injected.values()) total += n;
    return total;
  }

  /** The actions to apply to one request: at most one failure, preceded by any latency. */
  decide(request: FaultRequest): FaultAction[] {
    const actions: FaultAction[] = [];
    for (const rule of this.rules) {
      if (!matches(rule, request)) continue;
      const name = rule.name as string;
      this.matched.set(name, (this.matched.get(name) ?? 0) + 1);
      if (rule.limit !== undefined && (this.injected.get(name) ?? 0) >= rule.limit) continue;
      if (this.random() >= (rule.probability ?? 1)) continue;
      this.injected.set(name, (this.injected.get(name) ?? 0) + 1);
      actions.push(rule.action);
      if (rule.action.type !== "latency") break;
    }
    return actions;
  }
}

function matches(rule: FaultRule, request: FaultRequest): boolean {
  if (rule.verbs && !rule.verbs.includes(request.verb as Verb)) return false;
  if (rule.path !== undefined && !new RegExp(rule.path).test(request.path)) return false;
  return true;
}

function validateRule(rule: FaultRule): void {
  const p = rule.probability ?? 1;
  if (!(p >= 0 && p <= 1)) throw new Error(`fault rule ${rule.name ?? ""}: probability ${p} is not within 0..1`);
  const kinds = ["error", "throttle", "conflict", "latency", "reset", "hang"];
  if (!rule.action || !kinds.includes(rule.action.type)) {
    throw new Error(`fault rule ${rule.name ?? ""}: action.type must be one of ${kinds.join(", ")}`);
  }
}
